package org.jvpoll.wait;

import java.time.Duration;

import org.jvpoll.syscall.WaitLoop;

/** The waiters' timeout argument in nanoseconds, without allocating; the loop is {@link WaitLoop}. */
final class Timeouts {
    private Timeouts() {}

    /** "Wait forever". */
    static final long INFINITE = WaitLoop.INFINITE;

    /** Above this a {@link Duration} counts as infinite (it is about 146 years). */
    private static final long MAX_SECONDS = Long.MAX_VALUE / 2 / 1_000_000_000L;

    /**
     * {@return {@code timeout} in nanoseconds, or {@link #INFINITE} for null or a timeout too long
     *         to represent}
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    static long nanos(Duration timeout) {
        if (timeout == null) {
            return INFINITE;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        if (timeout.getSeconds() >= MAX_SECONDS) {
            return INFINITE;
        }
        return timeout.toNanos();
    }
}
