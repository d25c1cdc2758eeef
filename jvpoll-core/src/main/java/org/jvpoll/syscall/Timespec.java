package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * time.h and sys/time.h: the two time structs the waiting calls take (LP64 layouts).
 *
 * <pre>
 * struct timespec { time_t tv_sec; long tv_nsec; };        // 16 bytes: ppoll, pselect, epoll_pwait2
 * struct timeval  { time_t tv_sec; suseconds_t tv_usec; }; // 16 bytes: select (Linux writes back the time left)
 * </pre>
 */
public final class Timespec {
    private Timespec() {}

    /** sizeof(struct timespec) and sizeof(struct timeval). */
    public static final long SIZE = 16;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Fills a struct timespec with {@code nanos} (&gt;= 0). */
    public static void setTimespec(MemorySegment ts, long nanos) {
        ts.set(JAVA_LONG, 0, nanos / NANOS_PER_SECOND);
        ts.set(JAVA_LONG, 8, nanos % NANOS_PER_SECOND);
    }

    /** Fills a struct timeval with {@code nanos} (&gt;= 0), rounded up to whole microseconds. */
    public static void setTimeval(MemorySegment tv, long nanos) {
        long micros = nanos / 1000 + (nanos % 1000 == 0 ? 0 : 1);
        tv.set(JAVA_LONG, 0, micros / 1_000_000L);
        tv.set(JAVA_LONG, 8, micros % 1_000_000L);
    }
}
