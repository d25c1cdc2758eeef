package org.jvpoll.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.Errno;
import org.jvpoll.testing.Skip;

/**
 * The layer's struct layouts and the Errno table against this machine's C compiler: a small C
 * program prints sizeof/offsetof and every errno macro, and the Java definitions must agree.
 * Skipped, with the reason printed, where no C compiler is installed.
 */
class StructLayoutTest {
    private static final Map<String, Long> C = new HashMap<>();

    @BeforeAll
    static void askTheCompiler(@TempDir Path dir) throws Exception {
        Path cc = Path.of("/usr/bin/cc");
        if (!Files.isExecutable(cc)) {
            throw Skip.because("StructLayoutTest: no C compiler at " + cc + " (install gcc)");
        }
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <errno.h>
                #include <linux/io_uring.h>
                #include <netinet/in.h>
                #include <poll.h>
                #include <stddef.h>
                #include <stdio.h>
                #include <sys/epoll.h>
                #include <sys/signalfd.h>
                #include <sys/socket.h>
                #include <sys/stat.h>
                #include <sys/time.h>
                #include <sys/uio.h>
                #include <time.h>
                #define P(name, value) printf("%s %ld\\n", name, (long) (value))
                int main(void) {
                    P("sizeof pollfd", sizeof(struct pollfd));
                    P("pollfd.fd", offsetof(struct pollfd, fd));
                    P("pollfd.events", offsetof(struct pollfd, events));
                    P("pollfd.revents", offsetof(struct pollfd, revents));
                    P("sizeof epoll_event", sizeof(struct epoll_event));
                    P("epoll_event.events", offsetof(struct epoll_event, events));
                    P("epoll_event.data", offsetof(struct epoll_event, data));
                    P("sizeof sockaddr_in", sizeof(struct sockaddr_in));
                    P("sockaddr_in.sin_family", offsetof(struct sockaddr_in, sin_family));
                    P("sockaddr_in.sin_port", offsetof(struct sockaddr_in, sin_port));
                    P("sockaddr_in.sin_addr", offsetof(struct sockaddr_in, sin_addr));
                    P("sockaddr_in.sin_zero", offsetof(struct sockaddr_in, sin_zero));
                    P("sizeof iovec", sizeof(struct iovec));
                    P("iovec.iov_base", offsetof(struct iovec, iov_base));
                    P("iovec.iov_len", offsetof(struct iovec, iov_len));
                    P("sizeof msghdr", sizeof(struct msghdr));
                    P("msghdr.msg_name", offsetof(struct msghdr, msg_name));
                    P("msghdr.msg_namelen", offsetof(struct msghdr, msg_namelen));
                    P("msghdr.msg_iov", offsetof(struct msghdr, msg_iov));
                    P("msghdr.msg_iovlen", offsetof(struct msghdr, msg_iovlen));
                    P("msghdr.msg_control", offsetof(struct msghdr, msg_control));
                    P("msghdr.msg_controllen", offsetof(struct msghdr, msg_controllen));
                    P("msghdr.msg_flags", offsetof(struct msghdr, msg_flags));
                    P("sizeof cmsghdr", sizeof(struct cmsghdr));
                    P("cmsghdr.cmsg_len", offsetof(struct cmsghdr, cmsg_len));
                    P("cmsghdr.cmsg_level", offsetof(struct cmsghdr, cmsg_level));
                    P("cmsghdr.cmsg_type", offsetof(struct cmsghdr, cmsg_type));
                    P("cmsg data offset", CMSG_LEN(0));
                    P("sizeof statx", sizeof(struct statx));
                    P("statx.stx_mask", offsetof(struct statx, stx_mask));
                    P("statx.stx_ino", offsetof(struct statx, stx_ino));
                    P("statx.stx_dev_major", offsetof(struct statx, stx_dev_major));
                    P("statx.stx_dev_minor", offsetof(struct statx, stx_dev_minor));
                    P("sizeof timespec", sizeof(struct timespec));
                    P("timespec.tv_sec", offsetof(struct timespec, tv_sec));
                    P("timespec.tv_nsec", offsetof(struct timespec, tv_nsec));
                    P("sizeof timeval", sizeof(struct timeval));
                    P("timeval.tv_sec", offsetof(struct timeval, tv_sec));
                    P("timeval.tv_usec", offsetof(struct timeval, tv_usec));
                    P("sizeof signalfd_siginfo", sizeof(struct signalfd_siginfo));
                    #define SSI(f) P("signalfd_siginfo." #f, offsetof(struct signalfd_siginfo, f))
                    SSI(ssi_signo); SSI(ssi_errno); SSI(ssi_code); SSI(ssi_pid); SSI(ssi_uid); SSI(ssi_fd);
                    SSI(ssi_tid); SSI(ssi_band); SSI(ssi_overrun); SSI(ssi_trapno); SSI(ssi_status);
                    SSI(ssi_int); SSI(ssi_ptr); SSI(ssi_utime); SSI(ssi_stime); SSI(ssi_addr);
                    SSI(ssi_addr_lsb); SSI(ssi_syscall); SSI(ssi_call_addr); SSI(ssi_arch); SSI(__pad);
                    P("sizeof io_uring_params", sizeof(struct io_uring_params));
                    #define PRM(j, c) P("io_uring_params." j, offsetof(struct io_uring_params, c))
                    PRM("sq_entries", sq_entries); PRM("cq_entries", cq_entries); PRM("features", features);
                    PRM("sq_off", sq_off); PRM("cq_off", cq_off);
                    PRM("sq_off.head", sq_off.head); PRM("sq_off.tail", sq_off.tail);
                    PRM("sq_off.ring_mask", sq_off.ring_mask); PRM("sq_off.array", sq_off.array);
                    PRM("cq_off.head", cq_off.head); PRM("cq_off.tail", cq_off.tail);
                    PRM("cq_off.ring_mask", cq_off.ring_mask); PRM("cq_off.cqes", cq_off.cqes);
                    /* user_addr (Linux 6.5, with IORING_SETUP_NO_MMAP) was resv2 before */
                    #ifdef IORING_SETUP_NO_MMAP
                    PRM("sq_off.user_addr", sq_off.user_addr); PRM("cq_off.user_addr", cq_off.user_addr);
                    #else
                    PRM("sq_off.user_addr", sq_off.resv2); PRM("cq_off.user_addr", cq_off.resv2);
                    #endif
                    P("sizeof io_sqring_offsets", sizeof(struct io_sqring_offsets));
                    P("sizeof io_cqring_offsets", sizeof(struct io_cqring_offsets));
                    P("sizeof io_uring_sqe", sizeof(struct io_uring_sqe));
                    #define SQE(j, c) P("io_uring_sqe." j, offsetof(struct io_uring_sqe, c))
                    SQE("opcode", opcode); SQE("flags", flags); SQE("fd", fd);
                    SQE("off_u.off", off); SQE("off_u.cmd.cmd_op", cmd_op);
                    SQE("addr_u.addr", addr); SQE("len", len); SQE("op_flags", rw_flags);
                    SQE("user_data", user_data); SQE("buf_index", buf_index); SQE("personality", personality);
                    SQE("fd_in_u.splice_fd_in", splice_fd_in); SQE("addr3_u.addr3_s.addr3", addr3);
                    /* level, optname, optlen, optval (Linux 6.7) share the unions of addr, splice_fd_in
                       and addr3; headers before 6.7 lack their names, so the union's first member stands in */
                    SQE("addr_u.sockopt.level", addr);
                    P("io_uring_sqe.addr_u.sockopt.optname", offsetof(struct io_uring_sqe, addr) + sizeof(__u32));
                    SQE("fd_in_u.optlen", splice_fd_in); SQE("addr3_u.optval", addr3);
                    P("sizeof io_uring_cqe", sizeof(struct io_uring_cqe));
                    P("io_uring_cqe.user_data", offsetof(struct io_uring_cqe, user_data));
                    P("io_uring_cqe.res", offsetof(struct io_uring_cqe, res));
                    P("io_uring_cqe.flags", offsetof(struct io_uring_cqe, flags));
                """);
        for (String name : errnoNames()) {
            c.append("    P(\"errno ").append(name).append("\", ").append(name).append(");\n");
        }
        c.append("    return 0;\n}\n");
        Path source = dir.resolve("layouts.c");
        Path exe = dir.resolve("layouts");
        Files.writeString(source, c);
        String compiled = run(List.of(cc.toString(), "-o", exe.toString(), source.toString()));
        for (String line : run(List.of(exe.toString())).split("\n")) {
            int space = line.lastIndexOf(' ');
            C.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
        assertTrue(C.containsKey("sizeof pollfd"), "compiler said: " + compiled);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }

    private static List<String> errnoNames() throws IllegalAccessException {
        List<String> names = new ArrayList<>();
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                names.add(f.getName());
            }
        }
        return names;
    }

    /** {@code fields} are layout paths; a dotted one ("sq_off.head") goes through nested groups. */
    private static void assertStruct(String c, StructLayout layout, String... fields) {
        assertEquals(C.get("sizeof " + c), layout.byteSize(), "sizeof(struct " + c + ")");
        for (String field : fields) {
            String[] names = field.split("\\.");
            PathElement[] path = new PathElement[names.length];
            for (int i = 0; i < names.length; i++) {
                path[i] = PathElement.groupElement(names[i]);
            }
            Long offset = C.get(c + "." + field);
            assertTrue(offset != null, "the C program prints no offset for " + c + "." + field);
            assertEquals(offset, layout.byteOffset(path), "offsetof(struct " + c + ", " + field + ")");
        }
    }

    @Test
    void pollfdIsTheKernels() {
        assertStruct("pollfd", Poll.POLLFD, "fd", "events", "revents");
        assertEquals(Poll.POLLFD.byteSize(), Poll.POLLFD_SIZE);
    }

    @Test
    void epollEventIsThisArchitecturesPackedOrNaturalLayout() {
        assertStruct("epoll_event", Epoll.EPOLL_EVENT, "events", "data");
        assertEquals(Epoll.isX86_64() ? 12 : 16, Epoll.EVENT_SIZE);
    }

    @Test
    void sockaddrInIsTheKernels() {
        assertStruct("sockaddr_in", Sockets.SOCKADDR_IN, "sin_family", "sin_port", "sin_addr", "sin_zero");
        assertEquals(Sockets.SOCKADDR_IN.byteSize(), Sockets.SOCKADDR_IN_SIZE);
    }

    @Test
    void socketMessageStructsAreTheKernels() {
        assertStruct("iovec", Sockets.IOVEC, "iov_base", "iov_len");
        assertStruct("msghdr", Sockets.MSGHDR, "msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control",
                "msg_controllen", "msg_flags");
        assertStruct("cmsghdr", UnixSockets.CMSGHDR, "cmsg_len", "cmsg_level", "cmsg_type");
        assertEquals(C.get("cmsg data offset"), UnixSockets.CMSG_HEADER);
    }

    @Test
    void statxFieldsAreTheKernels() {
        assertStruct("statx", Stat.STATX, "stx_mask", "stx_ino", "stx_dev_major", "stx_dev_minor");
    }

    @Test
    void timeStructsAreTheCLibrarys() {
        assertStruct("timespec", Timespec.TIMESPEC, "tv_sec", "tv_nsec");
        assertStruct("timeval", Timespec.TIMEVAL, "tv_sec", "tv_usec");
        assertEquals(C.get("sizeof timespec"), Timespec.SIZE);
    }

    @Test
    void signalfdSiginfoIsTheCLibrarys() {
        assertStruct("signalfd_siginfo", Signals.SIGNALFD_SIGINFO, "ssi_signo", "ssi_errno", "ssi_code", "ssi_pid",
                "ssi_uid", "ssi_fd", "ssi_tid", "ssi_band", "ssi_overrun", "ssi_trapno", "ssi_status", "ssi_int",
                "ssi_ptr", "ssi_utime", "ssi_stime", "ssi_addr", "ssi_addr_lsb", "ssi_syscall", "ssi_call_addr",
                "ssi_arch", "__pad");
        assertEquals(C.get("sizeof signalfd_siginfo"), Signals.SIGINFO_SIZE);
    }

    @Test
    void ioUringStructsAreTheKernels() {
        assertStruct("io_uring_params", Uring.PARAMS, "sq_entries", "cq_entries", "features", "sq_off", "cq_off",
                "sq_off.head", "sq_off.tail", "sq_off.ring_mask", "sq_off.array", "sq_off.user_addr",
                "cq_off.head", "cq_off.tail", "cq_off.ring_mask", "cq_off.cqes", "cq_off.user_addr");
        assertEquals(C.get("sizeof io_sqring_offsets"), Uring.SQRING_OFFSETS.byteSize());
        assertEquals(C.get("sizeof io_cqring_offsets"), Uring.CQRING_OFFSETS.byteSize());
        assertStruct("io_uring_sqe", Uring.SQE, "opcode", "flags", "fd", "off_u.off", "off_u.cmd.cmd_op",
                "addr_u.addr", "addr_u.sockopt.level", "addr_u.sockopt.optname", "len", "op_flags", "user_data",
                "buf_index", "personality", "fd_in_u.splice_fd_in", "fd_in_u.optlen", "addr3_u.addr3_s.addr3",
                "addr3_u.optval");
        assertStruct("io_uring_cqe", Uring.CQE, "user_data", "res", "flags");
    }

    @Test
    void everyErrnoConstantHasTheCLibrarysValue() throws IllegalAccessException {
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                assertEquals(C.get("errno " + f.getName()), (long) f.getInt(null), "Errno." + f.getName());
            }
        }
    }

    @Test
    void everyLinuxErrnoHasANameAndADescription() throws IllegalAccessException {
        Map<Integer, String> named = new HashMap<>();
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                named.putIfAbsent(f.getInt(null), f.getName());
            }
        }
        // Linux numbers its errno values 1..133 with two gaps (41, 58: never assigned)
        for (int errno = 1; errno <= 133; errno++) {
            if (errno == 41 || errno == 58) {
                assertEquals("errno " + errno, Errno.name(errno));
                continue;
            }
            assertTrue(named.containsKey(errno), "no Errno constant for " + errno);
            assertTrue(!Errno.name(errno).startsWith("errno "), "no name for " + errno);
            String message = new org.jvpoll.VpollException("call", errno, null).getMessage();
            assertTrue(!message.contains("see errno(3)"), "no description for " + errno + ": " + message);
        }
        assertEquals("EAGAIN", Errno.name(Errno.EWOULDBLOCK));
        assertEquals("EOPNOTSUPP", Errno.name(Errno.ENOTSUP));
        assertEquals("errno 134", Errno.name(134));
        assertEquals("errno -1", Errno.name(-1));
    }
}
