package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * sys/socket.h, netinet/in.h, netinet/tcp.h: what the emulation backend needs of TCP sockets.
 *
 * <pre>
 * struct sockaddr_in {           // 16 bytes
 *     sa_family_t    sin_family; // 0  AF_INET, host order
 *     in_port_t      sin_port;   // 2  network order
 *     struct in_addr sin_addr;   // 4  network order
 *     unsigned char  sin_zero[8];// 8
 * };
 * struct iovec  { void *iov_base; size_t iov_len; };                         // 16 bytes
 * struct msghdr {                                                            // 56 bytes
 *     void *msg_name; socklen_t msg_namelen;  // 0, 8
 *     struct iovec *msg_iov; size_t msg_iovlen; // 16, 24
 *     void *msg_control; size_t msg_controllen; // 32, 40
 *     int msg_flags;                            // 48
 * };
 * </pre>
 */
public final class Sockets {
    private Sockets() {}

    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = Unistd.O_NONBLOCK;
    public static final int SOCK_CLOEXEC = Unistd.O_CLOEXEC;
    public static final int SOL_SOCKET = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;
    /** Linux 6.15+: upper bound of the retransmission timeout, in ms (1000..120000). */
    public static final int TCP_RTO_MAX_MS = 44;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVLOWAT = 18;
    public static final int SO_TIMESTAMPING = 37;
    public static final int SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1;
    public static final int SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
    public static final int SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11;
    public static final int MSG_OOB = 0x1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_ERRQUEUE = 0x2000;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;
    public static final int INADDR_LOOPBACK = 0x7f000001;
    public static final long SOCKADDR_IN_SIZE = 16;
    public static final long MSGHDR_SIZE = 56;
    public static final long IOVEC_SIZE = 16;

    private static final MethodHandle SOCKET = Syscall.handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Syscall.handle("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Syscall.handle("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CONNECT = Syscall.handle("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Syscall.handle("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Syscall.handle("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = Syscall.handle("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = Syscall.handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Syscall.handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SEND = Syscall.handle("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = Syscall.handle("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVMSG = Syscall.handle("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Syscall.handle("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    public static int socket(int domain, int type, int protocol) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) SOCKET.invokeExact(st, domain, type, protocol);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("socket(AF_INET, SOCK_STREAM)", st);
        }
        return rc;
    }

    /** Fills a sockaddr_in for {@code address}:{@code port} (host order). */
    public static void sockaddrIn(MemorySegment sa, int address, int port) {
        sa.fill((byte) 0);
        sa.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        sa.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2, (short) port);
        sa.set(JAVA_INT.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 4, address);
    }

    /** @return the port (host order) of a sockaddr_in */
    public static int port(MemorySegment sa) {
        return Short.toUnsignedInt(sa.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED
                .withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2));
    }

    public static void bind(int fd, MemorySegment sa) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) BIND.invokeExact(st, fd, sa, (int) SOCKADDR_IN_SIZE);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("bind(127.0.0.1)", st);
        }
    }

    public static void listen(int fd, int backlog) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) LISTEN.invokeExact(st, fd, backlog);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("listen", st);
        }
    }

    /** Blocking connect(2), retried on EINTR. */
    public static void connect(int fd, MemorySegment sa) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) CONNECT.invokeExact(st, fd, sa, (int) SOCKADDR_IN_SIZE);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("connect(127.0.0.1)", st);
        }
    }

    /** accept4(2) filling {@code peer} (a sockaddr_in); @return the fd, or -EAGAIN */
    public static int accept(int fd, MemorySegment peer, MemorySegment lenScratch, int flags) throws VpollException {
        MemorySegment st = Syscall.state();
        for (;;) {
            lenScratch.set(JAVA_INT, 0, (int) SOCKADDR_IN_SIZE);
            int rc;
            try {
                rc = (int) ACCEPT4.invokeExact(st, fd, peer, lenScratch, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc >= 0) {
                return rc;
            }
            int errno = Syscall.errno(st);
            if (errno == Errno.EAGAIN) {
                return -Errno.EAGAIN;
            }
            if (errno != Errno.EINTR) {
                throw Syscall.error("accept4", st);
            }
        }
    }

    public static void getsockname(int fd, MemorySegment sa, MemorySegment lenScratch) throws VpollException {
        nameCall(GETSOCKNAME, "getsockname", fd, sa, lenScratch);
    }

    public static void getpeername(int fd, MemorySegment sa, MemorySegment lenScratch) throws VpollException {
        nameCall(GETPEERNAME, "getpeername", fd, sa, lenScratch);
    }

    private static void nameCall(MethodHandle h, String name, int fd, MemorySegment sa, MemorySegment len)
            throws VpollException {
        MemorySegment st = Syscall.state();
        len.set(JAVA_INT, 0, (int) SOCKADDR_IN_SIZE);
        int rc;
        try {
            rc = (int) h.invokeExact(st, fd, sa, len);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error(name, st);
        }
    }

    /** setsockopt(2) with an int value held in {@code intScratch}. */
    public static void setInt(int fd, int level, int name, int value, MemorySegment intScratch, String what)
            throws VpollException {
        intScratch.set(JAVA_INT, 0, value);
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) SETSOCKOPT.invokeExact(st, fd, level, name, intScratch, 4);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("setsockopt(" + what + ")", st);
        }
    }

    /** setsockopt(2) with a value already in {@code value} (which callers may share: it is only read). */
    public static void setsockopt(int fd, int level, int name, MemorySegment value, String what) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) SETSOCKOPT.invokeExact(st, fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("setsockopt(" + what + ")", st);
        }
    }

    /** getsockopt(2) of an int; {@code scratch} needs 8 bytes. */
    public static int getInt(int fd, int level, int name, MemorySegment scratch, String what) throws VpollException {
        MemorySegment len = scratch.asSlice(4, 4);
        len.set(JAVA_INT, 0, 4);
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) GETSOCKOPT.invokeExact(st, fd, level, name, scratch.asSlice(0, 4), len);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("getsockopt(" + what + ")", st);
        }
        return scratch.get(JAVA_INT, 0);
    }

    /** send(2), retried on EINTR. @return bytes sent, or -EAGAIN */
    public static long send(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        MemorySegment st = Syscall.state();
        for (;;) {
            long rc;
            try {
                rc = (long) SEND.invokeExact(st, fd, buf, len, flags | MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc >= 0) {
                return rc;
            }
            int errno = Syscall.errno(st);
            if (errno == Errno.EAGAIN) {
                return -Errno.EAGAIN;
            }
            if (errno != Errno.EINTR) {
                throw Syscall.error(what, st);
            }
        }
    }

    /** recv(2), retried on EINTR. @return bytes received, or -EAGAIN / -EINVAL (no urgent data) */
    public static long recv(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        MemorySegment st = Syscall.state();
        for (;;) {
            long rc;
            try {
                rc = (long) RECV.invokeExact(st, fd, buf, len, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc >= 0) {
                return rc;
            }
            int errno = Syscall.errno(st);
            if (errno == Errno.EAGAIN || errno == Errno.EINVAL) {
                return -errno;
            }
            if (errno != Errno.EINTR) {
                throw Syscall.error(what, st);
            }
        }
    }

    /** recvmsg(2) with a prepared msghdr. @return bytes, or -EAGAIN */
    public static long recvmsg(int fd, MemorySegment msghdr, int flags, String what) throws VpollException {
        MemorySegment st = Syscall.state();
        for (;;) {
            long rc;
            try {
                rc = (long) RECVMSG.invokeExact(st, fd, msghdr, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc >= 0) {
                return rc;
            }
            int errno = Syscall.errno(st);
            if (errno == Errno.EAGAIN) {
                return -Errno.EAGAIN;
            }
            if (errno != Errno.EINTR) {
                throw Syscall.error(what, st);
            }
        }
    }

    /** Fills a msghdr with one iovec and a control buffer. */
    public static void msghdr(MemorySegment msg, MemorySegment iov, MemorySegment data, MemorySegment control) {
        msg.fill((byte) 0);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, data.byteSize());
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        msg.set(ADDRESS, 32, control);
        msg.set(JAVA_LONG, 40, control.byteSize());
    }

    public static void shutdown(int fd, int how) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) SHUTDOWN.invokeExact(st, fd, how);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("shutdown(" + (how == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR") + ")", st);
        }
    }
}
