package org.jvpoll.testing;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Test-only AF_UNIX client with SCM_RIGHTS, to hand vpoll fds to foreign processes.
 *
 * <pre>
 * struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; };     // 110 bytes
 * struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; int fd; }; // CMSG_SPACE(4) = 24
 * </pre>
 */
public final class UnixFdPassing implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMSG = handle("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = handle("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;

    @SuppressWarnings("restricted")
    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    private final Arena arena = Arena.ofConfined();
    private final int fd;

    /** Connects to a listening AF_UNIX stream socket at {@code path}. */
    public UnixFdPassing(String path) throws Throwable {
        fd = (int) SOCKET.invokeExact(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("socket(AF_UNIX) failed");
        }
        MemorySegment sa = arena.allocate(110);
        sa.set(JAVA_SHORT, 0, (short) AF_UNIX);
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(MemorySegment.ofArray(p), 0, sa, 2, p.length);
        if ((int) CONNECT.invokeExact(fd, sa, 110) < 0) {
            int ignored = (int) CLOSE.invokeExact(fd);
            throw new IllegalStateException("connect(" + path + ") failed (close " + ignored + ")");
        }
    }

    private MemorySegment message(MemorySegment data, MemorySegment control) {
        MemorySegment iov = arena.allocate(16);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, data.byteSize());
        MemorySegment msg = arena.allocate(56);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        msg.set(ADDRESS, 32, control);
        msg.set(JAVA_LONG, 40, control.byteSize());
        return msg;
    }

    /** Sends one byte {@code tag} carrying descriptor {@code passed}. */
    public void sendFd(int passed, char tag) throws Throwable {
        MemorySegment data = arena.allocate(1);
        data.set(JAVA_BYTE, 0, (byte) tag);
        MemorySegment control = arena.allocate(24);
        control.set(JAVA_LONG, 0, 20L);
        control.set(JAVA_INT, 8, SOL_SOCKET);
        control.set(JAVA_INT, 12, SCM_RIGHTS);
        control.set(JAVA_INT, 16, passed);
        if ((long) SENDMSG.invokeExact(fd, message(data, control), 0) != 1) {
            throw new IllegalStateException("sendmsg(SCM_RIGHTS) failed");
        }
    }

    /** Receives one byte carrying a descriptor. @return {tag, fd} */
    public int[] recvFd() throws Throwable {
        MemorySegment data = arena.allocate(1);
        MemorySegment control = arena.allocate(24);
        if ((long) RECVMSG.invokeExact(fd, message(data, control), 0) != 1 || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
            throw new IllegalStateException("recvmsg(SCM_RIGHTS) failed");
        }
        return new int[] {data.get(JAVA_BYTE, 0), control.get(JAVA_INT, 16)};
    }

    /** Sends or receives one plain byte. */
    public void sendByte(char b) throws Throwable {
        sendFdless(b);
    }

    private void sendFdless(char b) throws Throwable {
        MemorySegment data = arena.allocate(1);
        data.set(JAVA_BYTE, 0, (byte) b);
        if ((long) SENDMSG.invokeExact(fd, message(data, MemorySegment.NULL), 0) != 1) {
            throw new IllegalStateException("send failed");
        }
    }

    public char recvByte() throws Throwable {
        MemorySegment data = arena.allocate(1);
        MemorySegment control = arena.allocate(24);
        if ((long) RECVMSG.invokeExact(fd, message(data, control), 0) != 1) {
            throw new IllegalStateException("recv failed");
        }
        return (char) data.get(JAVA_BYTE, 0);
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }
}
