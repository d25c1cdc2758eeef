package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * poll.h.
 *
 * <pre>
 * struct pollfd {        // 8 bytes
 *     int   fd;          // 0
 *     short events;      // 4  requested events (16 bits: EPOLLRDHUP 0x2000 fits, EPOLLET etc. do not)
 *     short revents;     // 6  returned events
 * };
 * int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
 * int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,   // NULL = forever
 *           const sigset_t *sigmask);                                      // NULL = mask unchanged
 * </pre>
 * poll(2) always reports POLLERR, POLLHUP and POLLNVAL, requested or not.
 */
public final class Poll {
    private Poll() {}

    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    /** Every event bit a struct pollfd can carry. */
    public static final int ALL_EVENTS = 0xffff;

    private static final MethodHandle POLL = Syscall.handle("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PPOLL = Syscall.handle("ppoll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    private static final ThreadLocal<MemorySegment> ONE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(POLLFD));

    /** poll(2) over {@code n} pollfd structs; EINTR is returned to the caller as -EINTR. */
    public static int poll(MemorySegment fds, long n, int timeoutMs) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) POLL.invokeExact(st, fds, n, timeoutMs);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            int errno = Syscall.errno(st);
            if (errno == Errno.EINTR) {
                return -Errno.EINTR;
            }
            throw Syscall.error("poll", st);
        }
        return rc;
    }

    /**
     * ppoll(2): {@code sigmask} is the thread's signal mask during the wait.
     * @return as {@link #poll}, -EINTR if a signal interrupted the wait
     */
    public static int ppoll(MemorySegment fds, long n, MemorySegment timespec, MemorySegment sigmask)
            throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) PPOLL.invokeExact(st, fds, n, timespec, sigmask);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            if (Syscall.errno(st) == Errno.EINTR) {
                return -Errno.EINTR;
            }
            throw Syscall.error("ppoll", st);
        }
        return rc;
    }

    /**
     * Polls one descriptor. @return its revents (0 on timeout), as an unsigned 16-bit mask
     */
    public static int pollOne(int fd, int events, int timeoutMs) throws VpollException {
        MemorySegment p = ONE.get();
        for (;;) {
            p.set(JAVA_INT, 0, fd);
            p.set(JAVA_SHORT, 4, (short) events);
            p.set(JAVA_SHORT, 6, (short) 0);
            int rc = poll(p, 1, timeoutMs);
            if (rc == -Errno.EINTR) {
                continue; // callers of pollOne use short timeouts; a retry keeps them simple
            }
            return rc == 0 ? 0 : Short.toUnsignedInt(p.get(JAVA_SHORT, 6));
        }
    }

    /** @return the events the kernel reports for {@code fd} right now (every bit requested) */
    public static int currentEvents(int fd) throws VpollException {
        return pollOne(fd, ALL_EVENTS, 0);
    }
}
