package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

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

    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec")).withName("timespec");
    public static final StructLayout TIMEVAL = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec")).withName("timeval");

    /** sizeof(struct timespec), which is also sizeof(struct timeval). */
    public static final long SIZE = TIMESPEC.byteSize();

    static {
        if (TIMEVAL.byteSize() != SIZE) {
            throw new AssertionError("struct timeval is " + TIMEVAL.byteSize() + " bytes, struct timespec " + SIZE);
        }
    }

    private static final VarHandle TS_SEC = TIMESPEC.varHandle(PathElement.groupElement("tv_sec"));
    private static final VarHandle TS_NSEC = TIMESPEC.varHandle(PathElement.groupElement("tv_nsec"));
    private static final VarHandle TV_SEC = TIMEVAL.varHandle(PathElement.groupElement("tv_sec"));
    private static final VarHandle TV_USEC = TIMEVAL.varHandle(PathElement.groupElement("tv_usec"));

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long MICROS_PER_SECOND = 1_000_000L;

    /** Fills a struct timespec with {@code nanos} (&gt;= 0). */
    public static void setTimespec(MemorySegment ts, long nanos) {
        TS_SEC.set(ts, 0L, nanos / NANOS_PER_SECOND);
        TS_NSEC.set(ts, 0L, nanos % NANOS_PER_SECOND);
    }

    /** Fills a struct timeval with {@code nanos} (&gt;= 0), rounded up to whole microseconds. */
    public static void setTimeval(MemorySegment tv, long nanos) {
        long micros = nanos / 1000 + (nanos % 1000 == 0 ? 0 : 1);
        TV_SEC.set(tv, 0L, micros / MICROS_PER_SECOND);
        TV_USEC.set(tv, 0L, micros % MICROS_PER_SECOND);
    }
}
