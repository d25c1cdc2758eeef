package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * sys/select.h.
 *
 * <pre>
 * #define FD_SETSIZE 1024
 * typedef struct { long fds_bits[FD_SETSIZE / 64]; } fd_set;   // 128 bytes; fd N is bit N % 64 of word N / 64
 * int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout);         // NULL = forever
 * int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
 *             const sigset_t *sigmask);
 * </pre>
 * Both overwrite the sets with the ready descriptors; select also writes the time left back into
 * the timeval. Descriptors at or above FD_SETSIZE cannot be expressed (glibc's FD_SET would write
 * past the struct), so callers must refuse them.
 */
public final class Select {
    private Select() {}

    public static final int FD_SETSIZE = 1024;
    /** sizeof(fd_set). */
    public static final long FD_SET_SIZE = FD_SETSIZE / 8;

    private static final MethodHandle SELECT = Syscall.link("select",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle PSELECT = Syscall.link("pselect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

    /** FD_SET. {@code fd} must be in [0, FD_SETSIZE). */
    public static void set(MemorySegment set, int fd) {
        long offset = (long) (fd >>> 6) * 8;
        set.set(JAVA_LONG, offset, set.get(JAVA_LONG, offset) | (1L << (fd & 63)));
    }

    /** FD_CLR. */
    public static void clear(MemorySegment set, int fd) {
        long offset = (long) (fd >>> 6) * 8;
        set.set(JAVA_LONG, offset, set.get(JAVA_LONG, offset) & ~(1L << (fd & 63)));
    }

    /** FD_ISSET. */
    public static boolean isSet(MemorySegment set, int fd) {
        return (set.get(JAVA_LONG, (long) (fd >>> 6) * 8) & (1L << (fd & 63))) != 0;
    }

    /**
     * select(2). Any set may be {@link MemorySegment#NULL}; {@code timeval} NULL waits forever.
     * @return the number of bits set in the three sets, or {@link Syscall#INTERRUPTED} if a signal interrupted the wait
     */
    public static int select(int nfds, MemorySegment read, MemorySegment write, MemorySegment except,
                             MemorySegment timeval) throws VpollException {
        long rc;
        try {
            rc = (long) SELECT.invokeExact(nfds, read, write, except, timeval);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "select", nfds));
    }

    /**
     * pselect(2) with {@code sigmask} ({@link MemorySegment#NULL}: the thread's mask stays) as the
     * thread's signal mask during the wait.
     * @return as {@link #select}
     */
    public static int pselect(int nfds, MemorySegment read, MemorySegment write, MemorySegment except,
                              MemorySegment timespec, MemorySegment sigmask) throws VpollException {
        long rc;
        try {
            rc = (long) PSELECT.invokeExact(nfds, read, write, except, timespec, sigmask);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "pselect", nfds));
    }
}
