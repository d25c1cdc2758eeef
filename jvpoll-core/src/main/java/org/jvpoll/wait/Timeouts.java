package org.jvpoll.wait;

import java.time.Duration;

/** Timeout arithmetic shared by the waiters, in nanoseconds, without allocating. */
final class Timeouts {
    private Timeouts() {}

    /** "Wait forever". */
    static final long INFINITE = -1;

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

    /** {@return nanoseconds left until {@code deadline} (a System.nanoTime value), never below 0} */
    static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /**
     * {@return {@code nanos} as poll(2)/epoll_wait(2) milliseconds: -1 for infinite, rounded up
     *         (so a short timeout waits instead of spinning), capped at Integer.MAX_VALUE (the
     *         caller waits again for the rest)}
     */
    static int millis(long nanos) {
        if (nanos < 0) {
            return -1;
        }
        long ms = nanos / 1_000_000L + (nanos % 1_000_000L == 0 ? 0 : 1);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }
}
