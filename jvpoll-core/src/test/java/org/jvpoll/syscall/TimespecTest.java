package org.jvpoll.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

/** Nanoseconds into struct timespec and struct timeval (layouts: StructLayoutTest). */
class TimespecTest {
    @Test
    void timespecSplitsNanosecondsIntoSecondsAndTheRest() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(Timespec.TIMESPEC);
            Timespec.setTimespec(ts, 3_000_000_007L);
            assertEquals(3, field(ts, Timespec.TIMESPEC, "tv_sec"));
            assertEquals(7, field(ts, Timespec.TIMESPEC, "tv_nsec"));
            Timespec.setTimespec(ts, 0);
            assertEquals(0, field(ts, Timespec.TIMESPEC, "tv_sec"));
            assertEquals(0, field(ts, Timespec.TIMESPEC, "tv_nsec"));
        }
    }

    @Test
    void timevalRoundsUpToWholeMicroseconds() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(Timespec.TIMEVAL);
            Timespec.setTimeval(tv, 2_999_999_001L); // 2 s 999999.001 us -> 3 s 0 us
            assertEquals(3, field(tv, Timespec.TIMEVAL, "tv_sec"));
            assertEquals(0, field(tv, Timespec.TIMEVAL, "tv_usec"));
            Timespec.setTimeval(tv, 1_000L);
            assertEquals(0, field(tv, Timespec.TIMEVAL, "tv_sec"));
            assertEquals(1, field(tv, Timespec.TIMEVAL, "tv_usec"));
            assertEquals(Timespec.SIZE, Timespec.TIMEVAL.byteSize());
        }
    }

    private static long field(MemorySegment s, StructLayout layout, String name) {
        return s.get(ValueLayout.JAVA_LONG, layout.byteOffset(PathElement.groupElement(name)));
    }
}
