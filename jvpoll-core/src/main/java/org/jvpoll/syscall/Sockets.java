package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

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
    /** struct sockaddr_in; the port and address are in network byte order. */
    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_port"),
            JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("sin_zero")).withName("sockaddr_in");
    private static final VarHandle SIN_FAMILY = SOCKADDR_IN.varHandle(PathElement.groupElement("sin_family"));
    private static final VarHandle SIN_PORT = SOCKADDR_IN.varHandle(PathElement.groupElement("sin_port"));
    private static final VarHandle SIN_ADDR = SOCKADDR_IN.varHandle(PathElement.groupElement("sin_addr"));
    public static final long SOCKADDR_IN_SIZE = SOCKADDR_IN.byteSize();
    /** struct iovec. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len")).withName("iovec");
    /** struct msghdr (LP64). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4)).withName("msghdr");
    private static final VarHandle IOV_BASE = IOVEC.varHandle(PathElement.groupElement("iov_base"));
    private static final VarHandle IOV_LEN = IOVEC.varHandle(PathElement.groupElement("iov_len"));
    private static final VarHandle MSG_IOV = MSGHDR.varHandle(PathElement.groupElement("msg_iov"));
    private static final VarHandle MSG_IOVLEN = MSGHDR.varHandle(PathElement.groupElement("msg_iovlen"));
    private static final VarHandle MSG_CONTROL = MSGHDR.varHandle(PathElement.groupElement("msg_control"));
    private static final VarHandle MSG_CONTROLLEN = MSGHDR.varHandle(PathElement.groupElement("msg_controllen"));
    public static final long MSGHDR_SIZE = MSGHDR.byteSize();
    public static final long IOVEC_SIZE = IOVEC.byteSize();

    private static final MethodHandle SOCKET = Syscall.link("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Syscall.link("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Syscall.link("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CONNECT = Syscall.link("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Syscall.link("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Syscall.link("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = Syscall.link("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = Syscall.link("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Syscall.link("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SEND = Syscall.link("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = Syscall.link("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVMSG = Syscall.link("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Syscall.link("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    public static int socket(int domain, int type, int protocol) throws VpollException {
        long rc;
        try {
            rc = (long) SOCKET.invokeExact(domain, type, protocol);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("socket(" + domainName(domain) + ", " + typeName(type) + ", " + protocol + ")", rc);
        }
        return (int) rc;
    }

    /** @return the symbolic name of an address family, for messages */
    static String domainName(int domain) {
        return switch (domain) {
            case AF_INET -> "AF_INET";
            case UnixSockets.AF_UNIX -> "AF_UNIX";
            default -> "domain " + domain;
        };
    }

    /** @return the symbolic name of a socket type and its flags, for messages */
    static String typeName(int type) {
        int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
        StringBuilder sb = new StringBuilder(base == SOCK_STREAM ? "SOCK_STREAM" : "type " + base);
        if ((type & SOCK_NONBLOCK) != 0) {
            sb.append(" | SOCK_NONBLOCK");
        }
        if ((type & SOCK_CLOEXEC) != 0) {
            sb.append(" | SOCK_CLOEXEC");
        }
        return sb.toString();
    }

    /** Fills a sockaddr_in for {@code address}:{@code port} (host order). */
    public static void sockaddrIn(MemorySegment sa, int address, int port) {
        sa.fill((byte) 0);
        SIN_FAMILY.set(sa, 0L, (short) AF_INET);
        SIN_PORT.set(sa, 0L, (short) port);
        SIN_ADDR.set(sa, 0L, address);
    }

    /** @return the port (host order) of a sockaddr_in */
    public static int port(MemorySegment sa) {
        return Short.toUnsignedInt((short) SIN_PORT.get(sa, 0L));
    }

    /** @return "a.b.c.d:port" of a sockaddr_in, for messages */
    static String describe(MemorySegment sa) {
        int a = (int) SIN_ADDR.get(sa, 0L);
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff) + ":" + port(sa);
    }

    public static void bind(int fd, MemorySegment sa) throws VpollException {
        long rc;
        try {
            rc = (long) BIND.invokeExact(fd, sa, (int) SOCKADDR_IN_SIZE);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("bind(" + fd + ", " + describe(sa) + ")", rc);
        }
    }

    public static void listen(int fd, int backlog) throws VpollException {
        long rc;
        try {
            rc = (long) LISTEN.invokeExact(fd, backlog);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(rc, "listen", fd, backlog);
    }

    /** Blocking connect(2). */
    public static void connect(int fd, MemorySegment sa) throws VpollException {
        long rc;
        try {
            rc = (long) CONNECT.invokeExact(fd, sa, (int) SOCKADDR_IN_SIZE);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("connect(" + fd + ", " + describe(sa) + ")", rc);
        }
    }

    /**
     * accept4(2) filling {@code peer} (a sockaddr_in), retried on EINTR.
     * @return the fd, or {@link Syscall#WOULD_BLOCK}
     */
    public static int accept(int fd, MemorySegment peer, MemorySegment lenScratch, int flags) throws VpollException {
        long rc;
        do {
            lenScratch.set(JAVA_INT, 0, (int) SOCKADDR_IN_SIZE);
            try {
                rc = (long) ACCEPT4.invokeExact(fd, peer, lenScratch, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return (int) (rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, "accept4", fd));
    }

    public static void getsockname(int fd, MemorySegment sa, MemorySegment lenScratch) throws VpollException {
        nameCall(GETSOCKNAME, "getsockname", fd, sa, lenScratch);
    }

    public static void getpeername(int fd, MemorySegment sa, MemorySegment lenScratch) throws VpollException {
        nameCall(GETPEERNAME, "getpeername", fd, sa, lenScratch);
    }

    private static void nameCall(MethodHandle h, String name, int fd, MemorySegment sa, MemorySegment len)
            throws VpollException {
        len.set(JAVA_INT, 0, (int) SOCKADDR_IN_SIZE);
        long rc;
        try {
            rc = (long) h.invokeExact(fd, sa, len);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(rc, name, fd);
    }

    /** setsockopt(2) with an int value held in {@code intScratch}. */
    public static void setInt(int fd, int level, int name, int value, MemorySegment intScratch, String what)
            throws VpollException {
        intScratch.set(JAVA_INT, 0, value);
        setsockopt(fd, level, name, intScratch.asSlice(0, 4), what);
    }

    /** setsockopt(2) with a value already in {@code value} (which callers may share: it is only read). */
    public static void setsockopt(int fd, int level, int name, MemorySegment value, String what) throws VpollException {
        long rc;
        try {
            rc = (long) SETSOCKOPT.invokeExact(fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("setsockopt(" + fd + ", " + what + ")", rc);
        }
    }

    /** getsockopt(2) of an int; {@code scratch} needs 8 bytes. */
    public static int getInt(int fd, int level, int name, MemorySegment scratch, String what) throws VpollException {
        MemorySegment len = scratch.asSlice(4, 4);
        len.set(JAVA_INT, 0, 4);
        long rc;
        try {
            rc = (long) GETSOCKOPT.invokeExact(fd, level, name, scratch.asSlice(0, 4), len);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("getsockopt(" + fd + ", " + what + ")", rc);
        }
        return scratch.get(JAVA_INT, 0);
    }

    /** send(2), retried on EINTR. @return bytes sent, or {@link Syscall#WOULD_BLOCK} */
    public static long send(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) SEND.invokeExact(fd, buf, len, flags | MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, what);
    }

    /**
     * recv(2), retried on EINTR. @return bytes received, or {@link Syscall#WOULD_BLOCK}
     * @throws VpollException also EINVAL for MSG_OOB when no urgent byte is pending
     */
    public static long recv(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) RECV.invokeExact(fd, buf, len, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, what);
    }

    /** recvmsg(2) with a prepared msghdr, retried on EINTR. @return bytes, or {@link Syscall#WOULD_BLOCK} */
    public static long recvmsg(int fd, MemorySegment msghdr, int flags, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) RECVMSG.invokeExact(fd, msghdr, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, what);
    }

    /** Fills a msghdr with one iovec and a control buffer. */
    public static void msghdr(MemorySegment msg, MemorySegment iov, MemorySegment data, MemorySegment control) {
        msg.fill((byte) 0);
        IOV_BASE.set(iov, 0L, data);
        IOV_LEN.set(iov, 0L, data.byteSize());
        MSG_IOV.set(msg, 0L, iov);
        MSG_IOVLEN.set(msg, 0L, 1L);
        MSG_CONTROL.set(msg, 0L, control);
        MSG_CONTROLLEN.set(msg, 0L, control.byteSize());
    }

    /** @return msg_controllen of a msghdr: the control bytes the kernel filled in */
    public static long controlLength(MemorySegment msg) {
        return (long) MSG_CONTROLLEN.get(msg, 0L);
    }

    public static void shutdown(int fd, int how) throws VpollException {
        long rc;
        try {
            rc = (long) SHUTDOWN.invokeExact(fd, how);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("shutdown(" + fd + ", " + (how == SHUT_WR ? "SHUT_WR" : how == SHUT_RDWR ? "SHUT_RDWR" : how) + ")", rc);
        }
    }
}
