package org.jvpoll.syscall;

import java.io.IOException;

/**
 * The one deadline loop of the waiting calls: an attempt that ends early without a result (a
 * signal handler interrupted it, or its timeout had to be capped) is tried again with the time
 * that is left, until it reports a result or the time runs out. Allocation-free: the attempt is a
 * long-lived object (typically a field of the waiter) that reads its other inputs from fields.
 */
public final class WaitLoop {
    private WaitLoop() {}

    /** "Wait forever", as a time left. */
    public static final long INFINITE = -1;
    /** An attempt's result: it ended early for a reason other than a signal; try again. */
    public static final int AGAIN = Integer.MIN_VALUE;

    /** One wait with a given time left. */
    @FunctionalInterface
    public interface Attempt {
        /**
         * @param nanos the time left, {@link #INFINITE} for no limit, 0 for only a look
         * @return a result {@code >= 0}, {@link Syscall#INTERRUPTED} if a signal interrupted the
         *         wait, or {@link #AGAIN}
         * @throws IOException as the wait's call fails
         */
        int attempt(long nanos) throws IOException;
    }

    /**
     * Runs {@code attempt} until it reports a result or {@code nanos} have passed.
     *
     * @param nanos        the time to wait, {@link #INFINITE} for no limit
     * @param retrySignals whether a signal interrupting the wait is retried with the time left
     *                     (false: the wait ran with a signal mask, and the signal is the caller's
     *                     to report)
     * @return the attempt's first result {@code >= 0}; 0 when the time ran out; or
     *         {@link Syscall#INTERRUPTED} if {@code retrySignals} is false and a signal arrived
     * @throws IOException as the attempt throws
     */
    public static int run(long nanos, boolean retrySignals, Attempt attempt) throws IOException {
        long deadline = System.nanoTime() + nanos;
        for (;;) {
            int rc = attempt.attempt(nanos);
            if (rc >= 0 || (rc == Syscall.INTERRUPTED && !retrySignals)) {
                return rc;
            }
            if (nanos >= 0 && (nanos = Math.max(0, deadline - System.nanoTime())) == 0) {
                return 0;
            }
        }
    }

    /**
     * @return {@code nanos} as poll(2)/epoll_wait(2) milliseconds: -1 for infinite, rounded up
     *         (so a short timeout waits instead of spinning), capped at Integer.MAX_VALUE (see
     *         {@link #afterMillis})
     */
    public static int millis(long nanos) {
        if (nanos < 0) {
            return -1;
        }
        long ms = nanos / 1_000_000L + (nanos % 1_000_000L == 0 ? 0 : 1);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    /**
     * @return the result of a millisecond wait for {@link #run}: a timeout capped by {@link #millis}
     *         becomes {@link #AGAIN}, so the loop waits for the rest
     */
    public static int afterMillis(int rc, int ms) {
        return rc == 0 && ms == Integer.MAX_VALUE ? AGAIN : rc;
    }
}
