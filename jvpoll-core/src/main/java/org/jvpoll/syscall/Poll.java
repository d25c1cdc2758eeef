package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

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
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"))
            .withName("pollfd");
    /** sizeof(struct pollfd). */
    public static final long POLLFD_SIZE = POLLFD.byteSize();
    private static final VarHandle FD = POLLFD.arrayElementVarHandle(PathElement.groupElement("fd"));
    private static final VarHandle EVENTS = POLLFD.arrayElementVarHandle(PathElement.groupElement("events"));
    private static final VarHandle REVENTS = POLLFD.arrayElementVarHandle(PathElement.groupElement("revents"));
    /** Every event bit a struct pollfd can carry. */
    public static final int ALL_EVENTS = 0xffff;

    private static final MethodHandle POLL = Syscall.link("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PPOLL = Syscall.link("ppoll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    private static final ThreadLocal<MemorySegment> ONE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(POLLFD));

    /** Fills entry {@code index} of a pollfd array; revents is cleared. */
    public static void set(MemorySegment fds, long index, int fd, int events) {
        FD.set(fds, 0L, index, fd);
        EVENTS.set(fds, 0L, index, (short) events);
        REVENTS.set(fds, 0L, index, (short) 0);
    }

    /** @return the fd of entry {@code index} */
    public static int fd(MemorySegment fds, long index) {
        return (int) FD.get(fds, 0L, index);
    }

    /** @return the requested events of entry {@code index}, as an unsigned 16-bit mask */
    public static int events(MemorySegment fds, long index) {
        return Short.toUnsignedInt((short) EVENTS.get(fds, 0L, index));
    }

    /** @return the returned events of entry {@code index}, as an unsigned 16-bit mask */
    public static int revents(MemorySegment fds, long index) {
        return Short.toUnsignedInt((short) REVENTS.get(fds, 0L, index));
    }

    /**
     * poll(2) over {@code n} pollfd structs.
     * @return the number of ready entries, or {@link Syscall#INTERRUPTED} if a signal interrupted the wait
     */
    public static int poll(MemorySegment fds, long n, int timeoutMs) throws VpollException {
        long rc;
        try {
            rc = (long) POLL.invokeExact(fds, n, timeoutMs);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "poll", n, timeoutMs));
    }

    /**
     * ppoll(2): {@code sigmask} is the thread's signal mask during the wait.
     * @return as {@link #poll}, {@link Syscall#INTERRUPTED} if a signal interrupted the wait
     */
    public static int ppoll(MemorySegment fds, long n, MemorySegment timespec, MemorySegment sigmask)
            throws VpollException {
        long rc;
        try {
            rc = (long) PPOLL.invokeExact(fds, n, timespec, sigmask);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "ppoll", n));
    }

    /**
     * Polls one descriptor. @return its revents (0 on timeout), as an unsigned 16-bit mask
     */
    public static int pollOne(int fd, int events, int timeoutMs) throws VpollException {
        MemorySegment p = ONE.get();
        for (;;) {
            set(p, 0, fd, events);
            int rc = poll(p, 1, timeoutMs);
            if (rc == Syscall.INTERRUPTED) {
                continue; // callers of pollOne use short timeouts; a retry keeps them simple
            }
            return rc == 0 ? 0 : revents(p, 0);
        }
    }

    /** @return the events the kernel reports for {@code fd} right now (every bit requested) */
    public static int currentEvents(int fd) throws VpollException {
        return pollOne(fd, ALL_EVENTS, 0);
    }
}
