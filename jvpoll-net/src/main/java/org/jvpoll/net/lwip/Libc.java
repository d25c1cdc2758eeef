package org.jvpoll.net.lwip;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * The few C library calls the TAP attachment needs (jvpoll-core's system-call layer is not
 * exported), each capturing {@code errno}.
 *
 * <pre>
 * int open(const char *path, int flags, ...);      O_RDWR 2, O_NONBLOCK 04000, O_CLOEXEC 02000000
 * int ioctl(int fd, unsigned long req, ...);       TUNSETIFF _IOW('T', 202, int) = 0x400454ca
 * ssize_t read(int fd, void *buf, size_t n);
 * ssize_t write(int fd, const void *buf, size_t n);
 * int close(int fd);
 * int poll(struct pollfd *fds, nfds_t n, int timeout);
 * struct pollfd { int fd; short events; short revents; };          8 bytes
 * struct ifreq  { char ifr_name[16]; union { short ifr_flags; ... } };   40 bytes
 * </pre>
 */
public final class Libc {
    private Libc() {}

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    public static final int IFNAMSIZ = 16;
    public static final int IFREQ_SIZE = 40;
    public static final short POLLIN = 1;
    public static final int EINTR = Errno.EINTR;
    public static final int EAGAIN = Errno.EAGAIN;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle OPEN = variadic("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), 2);
    private static final MethodHandle IOCTL = variadic("ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), 2);
    private static final MethodHandle READ = handle("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = handle("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = handle("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle POLL = handle("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    @SuppressWarnings("restricted")
    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), d, Linker.Option.captureCallState("errno"));
    }

    @SuppressWarnings("restricted")
    private static MethodHandle variadic(String name, FunctionDescriptor d, int first) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), d,
                Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(first));
    }

    private static int errno(MemorySegment st) {
        return (int) ERRNO.get(st, 0L);
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** open(2), retrying EINTR. */
    public static int open(String path, int flags) throws VpollException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            MemorySegment st = STATE.get();
            while (true) {
                int fd = (int) OPEN.invokeExact(st, p, flags);
                if (fd >= 0) {
                    return fd;
                }
                if (errno(st) != EINTR) {
                    throw new VpollException("open(" + path + ")", errno(st), null);
                }
            }
        } catch (VpollException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** ioctl(2) with a pointer argument. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) throws VpollException {
        try {
            MemorySegment st = STATE.get();
            int r = (int) IOCTL.invokeExact(st, fd, request, arg);
            if (r < 0) {
                throw new VpollException(what, errno(st), null);
            }
            return r;
        } catch (VpollException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** read(2): the byte count, or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long n) {
        try {
            MemorySegment st = STATE.get();
            long r = (long) READ.invokeExact(st, fd, buf, n);
            return r >= 0 ? r : -errno(st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** write(2): the byte count, or {@code -errno}. */
    public static long write(int fd, MemorySegment buf, long n) {
        try {
            MemorySegment st = STATE.get();
            long r = (long) WRITE.invokeExact(st, fd, buf, n);
            return r >= 0 ? r : -errno(st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** poll(2) on one pollfd: the count, or {@code -errno}. */
    public static int poll(MemorySegment pollfd, int timeoutMillis) {
        try {
            MemorySegment st = STATE.get();
            int r = (int) POLL.invokeExact(st, pollfd, 1L, timeoutMillis);
            return r >= 0 ? r : -errno(st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** close(2); EINTR is not retried (Linux releases the fd anyway). */
    public static void close(int fd, String what) throws VpollException {
        try {
            MemorySegment st = STATE.get();
            int r = (int) CLOSE.invokeExact(st, fd);
            if (r < 0 && errno(st) != EINTR) {
                throw new VpollException("close(" + what + ")", errno(st), null);
            }
        } catch (VpollException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
