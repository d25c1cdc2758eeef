package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * unistd.h and fcntl.h: close, read, write, open, fcntl, dup.
 *
 * <pre>
 * int     close(int fd);
 * ssize_t read(int fd, void *buf, size_t count);
 * ssize_t write(int fd, const void *buf, size_t count);
 * int     open(const char *path, int flags, ... /* mode_t mode *&#47;);
 * int     fcntl(int fd, int cmd, ... /* int arg *&#47;);
 * int     dup(int oldfd);
 * </pre>
 */
public final class Unistd {
    private Unistd() {}

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;

    private static final MethodHandle CLOSE = Syscall.link("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Syscall.link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Syscall.link("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle OPEN = Syscall.linkVariadic("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle FCNTL = Syscall.linkVariadic("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle DUP = Syscall.link("dup",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /**
     * Closes {@code fd}. Linux releases the descriptor even when close reports EINTR, so EINTR is
     * not retried (a retry could close a number another thread has just reused).
     */
    public static void close(int fd) throws VpollException {
        long rc;
        try {
            rc = (long) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc != Syscall.INTERRUPTED) {
            Syscall.check(rc, "close", fd);
        }
    }

    /** close(2) for cleanup paths that already report another error; returns the errno or 0. */
    public static int closeQuietly(int fd) {
        try {
            close(fd);
            return 0;
        } catch (VpollException e) {
            return e.errno();
        }
    }

    /**
     * read(2), retried on EINTR.
     * @return bytes read, or {@link Syscall#WOULD_BLOCK} if non-blocking and empty
     */
    public static long read(int fd, MemorySegment buf, long count, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) READ.invokeExact(fd, buf, count);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, what);
    }

    /**
     * write(2), retried on EINTR.
     * @return bytes written, or {@link Syscall#WOULD_BLOCK} if non-blocking and full
     */
    public static long write(int fd, MemorySegment buf, long count, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) WRITE.invokeExact(fd, buf, count);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return rc == Syscall.WOULD_BLOCK ? rc : Syscall.check(rc, what);
    }

    /** open(2) of a NUL-terminated path, retried on EINTR. */
    public static int open(MemorySegment path, int flags, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) OPEN.invokeExact(path, flags, 0);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return (int) Syscall.check(rc, what);
    }

    /** fcntl(2) with an int argument. */
    public static int fcntl(int fd, int cmd, int arg) throws VpollException {
        long rc;
        try {
            rc = (long) FCNTL.invokeExact(fd, cmd, arg);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) Syscall.check(rc, "fcntl", fd, cmd);
    }

    /** dup(2): a new descriptor for the same open file description. */
    public static int dup(int fd) throws VpollException {
        long rc;
        try {
            rc = (long) DUP.invokeExact(fd);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) Syscall.check(rc, "dup", fd);
    }
}
