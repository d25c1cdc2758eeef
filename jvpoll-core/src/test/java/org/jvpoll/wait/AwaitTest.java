package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.park.Poller;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.WaitingThread;

/**
 * {@link VpollFd#await} and {@link Readiness#await}: virtual threads park through the poller,
 * platform threads block in poll(2); readiness, timeouts, close, interrupts, several waiters,
 * races between a change and the registration, and no registration or descriptor left behind.
 */
class AwaitTest {
    private static final Duration LONG = Duration.ofSeconds(10);

    @AfterEach
    void noRegistrationLeftBehind() throws InterruptedException {
        // a waiter ends by deregistering; give a thread that just returned its result time to finish
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Poller.registrations() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, Poller.registrations(), "registrations left with the poller");
    }

    @Test
    void aPendingEventIsReturnedAtOnceOnBothKindsOfThread() throws Exception {
        try (VpollFd vfd = VpollFd.create(Events.IN)) {
            assertEquals(Events.IN, vfd.await(Events.IN | Events.PRI, Duration.ZERO));
            assertEquals(Events.IN, Parked.virtual(() -> vfd.await(Events.IN, LONG)).get());
            assertEquals(0, vfd.await(Events.PRI, Duration.ZERO), "IN is not part of the answer to PRI");
        }
    }

    @Test
    void aParkedVirtualThreadIsWokenByTheChange() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            Parked<Integer> w = Parked.virtual(() -> vfd.await(Events.IN, null)).parked();
            assertFalse(w.isDone());
            vfd.add(Events.IN | Events.OUT); // only the awaited subset comes back
            assertEquals(Events.IN, w.get());
            assertFalse(Poller.isRegistered(w.thread));
        }
    }

    @Test
    void aPlatformThreadBlocksInPollAndIsWokenByTheChange() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            WaitingThread<Integer> w = WaitingThread.start(() -> vfd.await(Events.OUT, LONG)).blocked();
            assertFalse(w.isDone());
            assertEquals(0, Poller.registrations(), "a platform thread does not use the poller");
            vfd.add(Events.OUT);
            assertEquals(Events.OUT, w.get());
        }
    }

    @Test
    void timeoutsHoldOnBothKindsOfThread() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            for (boolean virtual : new boolean[] {true, false}) {
                Parked<long[]> w = virtual ? Parked.virtual(() -> timed(vfd)) : platform(() -> timed(vfd));
                long[] r = w.get();
                assertEquals(0, r[0], "nothing ready: 0");
                assertTrue(r[1] >= TimeUnit.MILLISECONDS.toNanos(50), "returned after " + r[1] + " ns, before the 50 ms timeout");
            }
            assertEquals(0, vfd.await(Events.IN, Duration.ZERO), "ZERO only looks");
        }
    }

    private static long[] timed(VpollFd vfd) throws Exception {
        long t0 = System.nanoTime();
        int r = vfd.await(Events.IN, Duration.ofMillis(50));
        return new long[] {r, System.nanoTime() - t0};
    }

    private static <T> Parked<T> platform(java.util.concurrent.Callable<T> c) {
        return Parked.platform(c);
    }

    @Test
    void closeEndsAVirtualThreadsAwaitWithClosedChannelException() throws Exception {
        VpollFd vfd = VpollFd.create(0);
        int before = Probe.openFdCount();
        Parked<Integer> w = Parked.virtual(() -> vfd.await(Events.IN, null)).parked();
        vfd.close();
        assertInstanceOf(ClosedChannelException.class, w.failure());
        assertTrue(Probe.openFdCount() < before, "the vpoll fd was released after the await let go");
        assertThrows(ClosedChannelException.class, () -> vfd.await(Events.IN, Duration.ZERO));
    }

    @Test
    void closeEndsAPlatformThreadsAwaitWithClosedChannelException() throws Exception {
        VpollFd vfd = VpollFd.create(0);
        WaitingThread<Integer> w = WaitingThread.start(() -> vfd.await(Events.IN, null)).blocked();
        vfd.close();
        Exception e = assertThrows(Exception.class, w::get);
        assertInstanceOf(ClosedChannelException.class, e.getCause());
    }

    @Test
    void closeOfTheChannelViewEndsTheAwaitToo() throws Exception {
        VpollFd vfd = VpollFd.create(0);
        var channel = vfd.channel();
        Parked<Integer> w = Parked.virtual(() -> vfd.await(Events.IN, null)).parked();
        channel.close();
        assertInstanceOf(ClosedChannelException.class, w.failure());
    }

    @Test
    void interruptEndsAVirtualThreadsAwaitAndKeepsTheStatus() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            Parked<Boolean> w = Parked.virtual(() -> {
                try {
                    vfd.await(Events.IN, null);
                    return false;
                } catch (InterruptedIOException e) {
                    return Thread.currentThread().isInterrupted();
                }
            }).parked();
            w.thread.interrupt();
            assertTrue(w.get(), "InterruptedIOException, with the interrupt status still set");
            assertTrue(vfd.isOpen(), "an interrupt does not close the fd");
            // already interrupted on entry: refused before waiting, also when an event is pending
            vfd.add(Events.IN);
            Parked<Throwable> pre = Parked.virtual(() -> {
                Thread.currentThread().interrupt();
                try {
                    vfd.await(Events.IN, LONG);
                    return null;
                } catch (InterruptedIOException e) {
                    return e;
                }
            });
            assertInstanceOf(InterruptedIOException.class, pre.get());
        }
    }

    @Test
    void interruptDoesNotEndAPlatformThreadsAwait() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            WaitingThread<Boolean> w = WaitingThread.start(() -> vfd.await(Events.IN, LONG) == Events.IN
                    && Thread.currentThread().isInterrupted()).blocked();
            w.interrupt();
            BlockedThreads.awaitBlocked(w.tid()); // still (or again) in poll(2)
            assertFalse(w.isDone());
            vfd.add(Events.IN);
            assertTrue(w.get(), "the await returned IN and the interrupt status is kept");
        }
    }

    @Test
    void severalVirtualThreadsAwaitTheSameFd() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            List<Parked<Integer>> ws = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int events = i % 2 == 0 ? Events.IN : Events.OUT;
                ws.add(Parked.virtual(() -> vfd.await(events, null)).parked());
            }
            assertEquals(8, Poller.registrations());
            vfd.add(Events.IN | Events.OUT);
            for (int i = 0; i < 8; i++) {
                assertEquals(i % 2 == 0 ? Events.IN : Events.OUT, ws.get(i).get());
            }
        }
    }

    @Test
    void aChangeRacingTheRegistrationIsNeverMissed() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            for (int round = 0; round < 300; round++) {
                vfd.set(0);
                Parked<Integer> w = Parked.virtual(() -> vfd.await(Events.IN, LONG));
                // raise IN at a random point of the waiter's poll / register / park sequence
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(0, 200_000));
                vfd.add(Events.IN);
                assertEquals(Events.IN, w.get(), "round " + round);
            }
        }
    }

    @Test
    void readinessAwaitsAnyDescriptor() throws Exception {
        try (RealFds real = new RealFds()) {
            int[] pipe = real.pipe();
            Parked<Integer> w = Parked.virtual(() -> Readiness.await(pipe[0], Events.IN, null)).parked();
            real.writeByte(pipe[1]);
            assertEquals(Events.IN, w.get());
            assertEquals(Events.OUT, Readiness.await(pipe[1], Events.OUT, Duration.ZERO));
            // HUP is reported without being asked for, as poll(2) does
            int[] other = real.pipe();
            Parked<Integer> h = Parked.virtual(() -> Readiness.await(other[0], Events.PRI, null)).parked();
            real.close(other[1]);
            assertEquals(Events.HUP, h.get());
            // a platform thread: poll(2)
            int[] third = real.pipe();
            WaitingThread<Integer> p = WaitingThread.start(() -> Readiness.await(third[0], Events.IN, LONG)).blocked();
            real.writeByte(third[1]);
            assertEquals(Events.IN, p.get());
        }
    }

    @Test
    void readinessOfADescriptorThatIsNotOpenIsEbadf() throws Exception {
        int notOpen = Integer.MAX_VALUE; // above any RLIMIT_NOFILE
        VpollException e = assertThrows(VpollException.class, () -> Readiness.await(notOpen, Events.IN, Duration.ZERO));
        assertEquals(Errno.EBADF, e.errno());
        Throwable v = Parked.virtual(() -> Readiness.await(notOpen, Events.IN, LONG)).failure();
        assertEquals(Errno.EBADF, assertInstanceOf(VpollException.class, v).errno());
    }

    @Test
    void badArgumentsAreRefusedWithTheirNames() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vfd.await(0, LONG));
            assertTrue(e.getMessage().contains("events"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vfd.await(Events.IN | Events.NVAL, LONG));
            assertTrue(e.getMessage().contains("NVAL"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vfd.await(Events.IN | 0x10000, LONG));
            assertTrue(e.getMessage().contains("0x10000"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vfd.await(Events.IN | EpollSet.ONESHOT, LONG));
            assertTrue(e.getMessage().contains("0x40000000"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vfd.await(Events.IN, Duration.ofMillis(-1)));
            assertTrue(e.getMessage().contains("timeout"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Readiness.await(-1, Events.IN, LONG));
            assertTrue(e.getMessage().contains("fd"), e.getMessage());
            assertThrows(NullPointerException.class, () -> Readiness.await(null, Events.IN, LONG));
        }
    }

    @Test
    void awaitsLeaveNoDescriptorBehind() throws Exception {
        try (VpollFd vfd = VpollFd.create(0)) {
            Poller.registrations(); // the poller's own epoll fd exists once per process
            int before = Probe.openFdCount();
            for (int i = 0; i < 50; i++) {
                // two waiters at once: the second registers a dup of the fd
                Parked<Integer> a = Parked.virtual(() -> vfd.await(Events.IN, null)).parked();
                Duration timeout = Duration.ofMillis(i % 2 == 0 ? 1 : 10_000);
                Parked<Integer> b = Parked.virtual(() -> vfd.await(Events.IN, timeout));
                if (i % 2 != 0) {
                    b.parked();
                }
                vfd.add(Events.IN);
                assertEquals(Events.IN, a.get());
                b.get();
                vfd.delete(Events.IN);
            }
            assertEquals(before, Probe.openFdCount());
        }
    }
}
