package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * sys/timerfd.h.
 *
 * <pre>
 * int timerfd_create(int clockid, int flags);
 * int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old);
 * struct itimerspec { struct timespec it_interval; struct timespec it_value; };  // 32 bytes
 * </pre>
 */
public final class TimerFd {
    private TimerFd() {}

    public static final int CLOCK_MONOTONIC = 1;
    public static final int TFD_CLOEXEC = Unistd.O_CLOEXEC;
    public static final int TFD_NONBLOCK = Unistd.O_NONBLOCK;

    private static final MethodHandle CREATE = Syscall.link("timerfd_create",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETTIME = Syscall.link("timerfd_settime",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    public static int create(int clockId, int flags) throws VpollException {
        long rc;
        try {
            rc = (long) CREATE.invokeExact(clockId, flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) Syscall.check(rc, "timerfd_create", clockId, flags);
    }

    /** Arms a one-shot relative timer that expires after {@code nanos} (0 disarms it). */
    public static void setOneShot(int fd, long nanos) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment spec = arena.allocate(2 * Timespec.SIZE);
            Timespec.setTimespec(spec.asSlice(Timespec.SIZE, Timespec.SIZE), nanos);
            long rc;
            try {
                rc = (long) SETTIME.invokeExact(fd, 0, spec, MemorySegment.NULL);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            Syscall.check(rc, "timerfd_settime", fd);
        }
    }
}
