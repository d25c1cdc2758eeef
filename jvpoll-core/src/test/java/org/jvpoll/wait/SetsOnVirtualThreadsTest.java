package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BlockedThreads;

/**
 * PollSet, SelectSet and EpollSet waits called on a virtual thread (which park instead of pinning,
 * see {@link VirtualThreadPinningTest}) keep their contract: readiness, timeouts, wakeup, close,
 * and an interrupt that does not end the wait.
 */
class SetsOnVirtualThreadsTest {
    @Test
    void epollAwaitParksThroughThePollerAndReportsTheRegistration() throws Exception {
        try (VpollFd vfd = VpollFd.create(0); EpollSet<String> set = EpollSet.open()) {
            set.add(vfd, Events.IN, "v");
            Parked<String> w = Parked.virtual(() -> {
                ReadyEvents<String> r = set.await(Duration.ofSeconds(10));
                return r.count() + " " + r.attachment(0) + " " + Events.toString(r.events(0)) + " " + r.wokenUp();
            }).parked();
            vfd.add(Events.IN);
            assertEquals("1 v IN false", w.get());
        }
    }

    @Test
    void epollAwaitOnAVirtualThreadTimesOutIsWokenAndEndsOnClose() throws Exception {
        EpollSet<String> set = EpollSet.open();
        long t0 = System.nanoTime();
        assertEquals(0, Parked.virtual(() -> set.await(Duration.ofMillis(30)).count()).get());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(30));

        Parked<Boolean> interrupted = Parked.virtual(() -> set.await(null).wokenUp()
                && Thread.currentThread().isInterrupted()).parked();
        interrupted.thread.interrupt();
        // an interrupt does not end a set's wait: the thread is still waiting 200 ms later
        assertFalse(interrupted.thread.join(Duration.ofMillis(200)));
        Parked.awaitParked(interrupted.thread);
        set.wakeup();
        assertTrue(interrupted.get(), "woken up, with the interrupt status kept");

        Parked<Boolean> closing = Parked.virtual(() -> set.await(null).wokenUp()).parked();
        set.close();
        assertTrue(closing.get(), "close ends the wait as a wakeup does");
        assertThrows(ClosedChannelException.class, () -> set.await(Duration.ZERO));
    }

    @Test
    void pollAndSelectOnAVirtualThreadSeeReadinessTimeoutsAndClose() throws Exception {
        PollSet poll = new PollSet(2);
        try (RealFds real = new RealFds(); SelectSet select = new SelectSet()) {
            int[] pipe = real.pipe();
            int p = poll.add(pipe[0], Events.IN);
            select.watch(pipe[0], true, false, false);

            assertEquals(0, Parked.virtual(() -> poll.poll(Duration.ofMillis(20))).get());
            assertEquals(0, Parked.virtual(() -> select.select(Duration.ofMillis(20))).get());

            Parked<Integer> pw = Parked.virtual(() -> poll.poll(Duration.ofSeconds(10)) == 1 ? poll.revents(p) : -1);
            Parked<Boolean> sw = Parked.virtual(() -> select.select(Duration.ofSeconds(10)) == 1 && select.readable(pipe[0]));
            awaitWaiting(pw.thread);
            awaitWaiting(sw.thread);
            real.writeByte(pipe[1]);
            assertEquals(Events.IN, pw.get());
            assertTrue(sw.get());
            real.read(pipe[0]);

            Parked<Boolean> closing = Parked.virtual(() -> poll.poll(null) == 0 && poll.wokenUp());
            awaitWaiting(closing.thread);
            poll.close();
            assertTrue(closing.get());
        } finally {
            poll.close();
        }
    }

    /**
     * A wait loop that runs until its set is closed ends on close, on platform and virtual threads
     * alike: the close sets the closed bit before it wakes the waiter, so a waiter that consumed the
     * wakeup and goes round again finds the set closed instead of starting a wait nothing ends.
     */
    @Test
    void waitLoopsUntilCloseAlwaysEnd() throws Exception {
        for (int i = 0; i < 400; i++) {
            boolean virtual = i % 2 == 0;
            EpollSet<String> epoll = EpollSet.open();
            PollSet poll = new PollSet(1);
            Thread e = loop(virtual, () -> {
                while (epoll.isOpen()) {
                    epoll.await(null);
                }
            });
            Thread p = loop(virtual, () -> {
                while (poll.isOpen()) {
                    poll.poll(null);
                }
            });
            epoll.wakeup(); // the loops go round at least once, racing the close
            poll.wakeup();
            epoll.close();
            poll.close();
            assertTrue(e.join(Duration.ofSeconds(10)), "round " + i + ": the epoll loop ended");
            assertTrue(p.join(Duration.ofSeconds(10)), "round " + i + ": the poll loop ended");
        }
    }

    interface IoLoop {
        void run() throws Exception;
    }

    private static Thread loop(boolean virtual, IoLoop body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (ClosedChannelException expected) {
                // the close came between isOpen() and the wait
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        };
        return virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon(true).start(r);
    }

    /** The offloaded waits park the virtual thread (no poller registration: a helper thread polls). */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        BlockedThreads.awaitParked(t, () -> true);
    }
}
