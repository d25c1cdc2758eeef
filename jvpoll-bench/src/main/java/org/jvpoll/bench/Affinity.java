package org.jvpoll.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * sched_getaffinity/sched_setaffinity of the calling thread, as {@code cbench.c} uses them: in
 * wake-up tests the waker runs on the first allowed CPU and the waiter on the second, so the
 * waiter is blocked in epoll_wait when the change comes instead of queued behind a spinning waker.
 */
final class Affinity {
    private Affinity() {}

    /** cpu_set_t: 1024 bits. */
    private static final long SET_SIZE = 128;
    private static final MethodHandle GET;
    private static final MethodHandle SET;

    static {
        GET = handle("sched_getaffinity");
        SET = handle("sched_setaffinity");
    }

    @SuppressWarnings("restricted")
    private static MethodHandle handle(String name) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    /** @return the calling thread's CPU mask (to give back to {@link #restore}) */
    static MemorySegment current() {
        MemorySegment mask = Arena.ofAuto().allocate(SET_SIZE);
        call(GET, mask, "sched_getaffinity");
        return mask;
    }

    static void restore(MemorySegment mask) {
        call(SET, mask, "sched_setaffinity");
    }

    /** Pins the calling thread to the {@code nth} CPU (from 0) it may run on; no-op if there are fewer. */
    static void pin(int nth) {
        MemorySegment allowed = current();
        int seen = 0;
        for (int cpu = 0; cpu < SET_SIZE * 8; cpu++) {
            if ((allowed.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0 && seen++ == nth) {
                MemorySegment one = Arena.ofAuto().allocate(SET_SIZE);
                one.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
                call(SET, one, "sched_setaffinity");
                return;
            }
        }
    }

    private static void call(MethodHandle h, MemorySegment mask, String what) {
        int rc;
        try {
            rc = (int) h.invokeExact(0, SET_SIZE, mask);
        } catch (Throwable t) {
            throw new IllegalStateException(what, t);
        }
        if (rc != 0) {
            throw new IllegalStateException(what + " failed");
        }
    }
}
