package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;

/**
 * Waiting in a loop allocates nothing on the Java heap: measured with the JVM's per-thread
 * allocation counter over 10,000 waits of each kind, once the JIT has compiled the loop (the
 * interpreter and the first FFM linkage allocate).
 */
class NoAllocationTest {
    private static final int WAITS = 10_000;
    /** Allows for the counter's own bookkeeping; a single allocation per wait would be &gt;= 160,000 bytes. */
    private static final long TOLERANCE_BYTES = 2_048;
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @FunctionalInterface
    interface Loop {
        long run(int times) throws Exception;
    }

    /**
     * com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes, reached by reflection: the
     * tests compile inside module org.jvpoll, which does not read jdk.management.
     */
    private static final Object THREADS;
    private static final Method ALLOCATED;

    static {
        try {
            THREADS = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            ALLOCATED = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static long currentThreadAllocatedBytes() throws ReflectiveOperationException {
        return (Long) ALLOCATED.invoke(THREADS);
    }

    /** Rounds of {@link #WAITS} waits allowed for the JIT to reach its steady state. */
    private static final int MAX_ROUNDS = 60;

    /**
     * Runs rounds of {@link #WAITS} waits until one allocates at most {@link #TOLERANCE_BYTES}.
     * The interpreter and C1 allocate (the FFM linker's capture-state slice, for one, is removed
     * only by C2's escape analysis once the downcall is inlined), so the first rounds do; the claim
     * is about the compiled steady state, which a real per-wait allocation (boxing, a copy, a
     * string) would never reach.
     */
    private static void assertNoAllocation(String what, Loop loop) throws Exception {
        currentThreadAllocatedBytes(); // warm the reflective call too
        long bytes = -1;
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            long before = currentThreadAllocatedBytes();
            long sink = loop.run(WAITS);
            bytes = currentThreadAllocatedBytes() - before;
            assertTrue(sink > 0, "the waits saw the ready fd");
            if (bytes <= TOLERANCE_BYTES) {
                System.out.println("allocation: " + what + ": " + bytes + " bytes over " + WAITS
                        + " waits in round " + round + " (compiled steady state; an empty loop measures "
                        + emptyLoopBytes() + ")");
                return;
            }
        }
        throw new AssertionError(what + " still allocated " + bytes + " bytes over " + WAITS
                + " waits after " + MAX_ROUNDS + " rounds");
    }

    /** What the measurement itself costs: the same counter reads around a loop that does nothing. */
    private static long emptyLoopBytes() throws Exception {
        long bytes = 0;
        for (int round = 0; round < 3; round++) {
            long before = currentThreadAllocatedBytes();
            bytes = currentThreadAllocatedBytes() - before;
        }
        return bytes;
    }

    @Test
    void pollAndPpoll() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(2)) {
            int ready = set.add(real.eventfd(1), Events.IN);
            set.add(real.pipe()[0], Events.IN);
            SignalSet mask = SignalSet.threadMask();
            assertNoAllocation("PollSet.poll", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += set.poll(TIMEOUT) + set.revents(ready);
                }
                return sum;
            });
            assertNoAllocation("PollSet.ppoll with mask", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += set.ppoll(TIMEOUT, mask);
                }
                return sum;
            });
            assertNoAllocation("PollSet.poll after wakeup", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    set.wakeup();
                    sum += set.poll(null) + (set.wokenUp() ? 1 : 0);
                }
                return sum;
            });
        }
    }

    @Test
    void selectAndPselect() throws Exception {
        try (RealFds real = new RealFds(); SelectSet set = new SelectSet()) {
            int ready = real.eventfd(1);
            set.watch(ready, true, false, false);
            set.watch(real.pipe()[0], true, false, false);
            SignalSet mask = SignalSet.threadMask();
            assertNoAllocation("SelectSet.select", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += set.select(TIMEOUT) + (set.readable(ready) ? 1 : 0);
                }
                return sum;
            });
            assertNoAllocation("SelectSet.pselect with mask", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += set.pselect(TIMEOUT, mask);
                }
                return sum;
            });
        }
    }

    @Test
    void epollWaitAndPwait2() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> set = EpollSet.open()) {
            set.add(real.eventfd(1), Events.IN, "ready");
            set.add(real.pipe()[0], Events.IN, "idle");
            SignalSet mask = SignalSet.threadMask();
            assertNoAllocation("EpollSet.await", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    ReadyEvents<String> r = set.await(TIMEOUT);
                    sum += r.count() + r.attachment(0).length();
                }
                return sum;
            });
            assertNoAllocation("EpollSet.await with mask (epoll_pwait2)", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += set.await(TIMEOUT, mask).count();
                }
                return sum;
            });
            assertNoAllocation("EpollSet.await after wakeup", n -> {
                long sum = 0;
                for (int i = 0; i < n; i++) {
                    set.wakeup();
                    sum += set.await(null).wokenUp() ? 1 : 0;
                }
                return sum;
            });
            assertEquals(2, set.size());
        }
    }
}
