package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.jvpoll.VpollException;

/**
 * sys/socket.h for AF_UNIX: a socket pair, and receiving a descriptor (SCM_RIGHTS), which is how
 * fusermount3 hands back the /dev/fuse descriptor it mounted with.
 *
 * <pre>
 * int socketpair(int domain, int type, int protocol, int sv[2]);
 * struct cmsghdr {            // 16 bytes, then the data (here: one int, the descriptor)
 *     size_t cmsg_len;        // 0  CMSG_LEN(sizeof(int)) = 20
 *     int    cmsg_level;      // 8  SOL_SOCKET
 *     int    cmsg_type;       // 12 SCM_RIGHTS
 * };
 * recvmsg(fd, &amp;msghdr, MSG_CMSG_CLOEXEC): see {@link Sockets} for struct msghdr and iovec
 * </pre>
 */
public final class UnixSockets {
    private UnixSockets() {}

    public static final int AF_UNIX = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** struct cmsghdr; its data follows at {@link #CMSG_HEADER}. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"))
            .withName("cmsghdr");
    private static final VarHandle CMSG_LEN = CMSGHDR.varHandle(PathElement.groupElement("cmsg_len"));
    private static final VarHandle CMSG_LEVEL = CMSGHDR.varHandle(PathElement.groupElement("cmsg_level"));
    private static final VarHandle CMSG_TYPE = CMSGHDR.varHandle(PathElement.groupElement("cmsg_type"));
    /** CMSG_DATA's offset: the header, already a multiple of sizeof(size_t). */
    static final long CMSG_HEADER = CMSGHDR.byteSize();

    private static final MethodHandle SOCKETPAIR = Syscall.link("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

    /** @return the two ends of a close-on-exec AF_UNIX stream socket pair */
    public static int[] socketpair() throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            socketpair(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, sv);
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * socketpair(2) into {@code sv} (two ints), without allocating.
     *
     * @param typeFlags SOCK_STREAM or another type, or'ed with SOCK_CLOEXEC / SOCK_NONBLOCK
     */
    public static void socketpair(int typeFlags, MemorySegment sv) throws VpollException {
        long rc;
        try {
            rc = (long) SOCKETPAIR.invokeExact(AF_UNIX, typeFlags, 0, sv);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("socketpair(AF_UNIX, " + Sockets.typeName(typeFlags) + ")", rc);
        }
    }

    /**
     * Receives one message and the descriptor it carries (made close-on-exec).
     *
     * @return the descriptor, or -1 if the peer closed or sent none
     */
    public static int receiveFd(int socket, String what) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(16);
            MemorySegment control = arena.allocate(64, 8);
            MemorySegment iov = arena.allocate(Sockets.IOVEC_SIZE, 8);
            MemorySegment msg = arena.allocate(Sockets.MSGHDR_SIZE, 8);
            Sockets.msghdr(msg, iov, data, control);
            long n = Sockets.recvmsg(socket, msg, MSG_CMSG_CLOEXEC, what);
            if (n <= 0) {
                return -1;
            }
            long controlLen = Sockets.controlLength(msg);
            if (controlLen < CMSG_HEADER + 4) {
                return -1;
            }
            long cmsgLen = (long) CMSG_LEN.get(control, 0L);
            int level = (int) CMSG_LEVEL.get(control, 0L);
            int type = (int) CMSG_TYPE.get(control, 0L);
            if (level != Sockets.SOL_SOCKET || type != SCM_RIGHTS || cmsgLen < CMSG_HEADER + 4) {
                return -1;
            }
            return control.get(JAVA_INT, CMSG_HEADER);
        }
    }
}
