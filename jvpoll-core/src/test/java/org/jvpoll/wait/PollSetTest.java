package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.TimerFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.WaitingThread;

@ExtendWith(BackendSelection.class)
class PollSetTest {
    private static final Duration NOW = Duration.ZERO;

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EMULATION_TCP", "FUSE"})
    void seesVpollEventsSetAndClearedFromJava(Backend backend) throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(backend)); PollSet set = new PollSet(1)) {
            int i = set.add(vfd, Events.IN | Events.PRI);
            assertEquals(0, set.poll(NOW));
            assertEquals(0, set.revents(i));

            vfd.add(Events.IN);
            assertEquals(1, set.poll(NOW));
            assertEquals(Events.IN, set.revents(i) & (Events.IN | Events.PRI));
            vfd.add(Events.PRI);
            assertEquals(1, set.poll(NOW));
            assertEquals(Events.IN | Events.PRI, set.revents(i) & (Events.IN | Events.PRI));

            vfd.delete(Events.IN | Events.PRI);
            assertEquals(0, set.poll(NOW));
            assertEquals(0, set.revents(i));
        }
    }

    @Test
    void vpollEventSetHereEndsAnInfiniteWaitInAnotherThread() throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION)); PollSet set = new PollSet(1)) {
            int i = set.add(vfd, Events.IN);
            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.poll(null)).blocked();
            vfd.add(Events.IN);
            assertEquals(1, waiter.get());
            assertTrue((set.revents(i) & Events.IN) != 0);
        }
    }

    @Test
    void mixesVpollWithPipeSocketpairEventfdTimerfdAndTty() throws Exception {
        try (RealFds real = new RealFds(); VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
             PollSet set = new PollSet(2)) {
            int[] pipe = real.pipe();
            int[] pair = real.socketpair();
            int efd = real.eventfd(0);
            int tfd = real.timerfd();
            int v = set.add(vfd, Events.IN);
            int p = set.add(pipe[0], Events.IN);
            int s = set.add(pair[0], Events.IN);
            int e = set.add(efd, Events.IN);
            int t = set.add(tfd, Events.IN);
            int w = set.add(pipe[1], Events.OUT); // grows past the initial capacity
            int[] pty = real.pty();
            int tty = set.add(pty[1], Events.IN);
            assertEquals(7, set.size());
            assertEquals(pipe[1], set.fd(w));
            assertEquals(Events.OUT, set.events(w));

            assertEquals(1, set.poll(NOW), "only the pipe's write end is ready");
            assertEquals(Events.OUT, set.revents(w));
            set.setEvents(w, Events.IN); // a write end never becomes readable
            assertEquals(0, set.poll(NOW));

            real.writeByte(pipe[1]);
            real.writeByte(pair[1]);
            real.writeCounter(efd, 1);
            vfd.add(Events.IN);
            real.writeLine(pty[0]);
            assertEquals(5, set.poll(Duration.ofSeconds(10)));
            for (int i : new int[] {v, p, s, e, tty}) {
                assertEquals(Events.IN, set.revents(i), "entry " + i);
            }
            assertEquals(0, set.revents(t));

            real.read(pipe[0]);
            real.read(pair[0]);
            real.read(efd);
            real.read(pty[1]);
            vfd.delete(Events.IN);
            TimerFd.setOneShot(tfd, TimeUnit.MILLISECONDS.toNanos(20));
            assertEquals(1, set.poll(Duration.ofSeconds(10)), "the timer expires");
            assertEquals(Events.IN, set.revents(t));
        }
    }

    @Test
    void signalfdOfABlockedSignalBecomesReadable() throws Exception {
        SignalSet winch = SignalSet.of(SignalFixture.SIGNAL);
        SignalSet before = winch.block();
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int sfd = real.signalfd(winch);
            int i = set.add(sfd, Events.IN);
            assertEquals(0, set.poll(NOW));
            org.jvpoll.syscall.Signals.tgkill(org.jvpoll.syscall.Signals.gettid(), SignalFixture.SIGNAL);
            assertEquals(1, set.poll(Duration.ofSeconds(10)));
            assertEquals(Events.IN, set.revents(i));
            assertEquals(SignalFixture.SIGNAL, real.readSignal(sfd));
            assertEquals(0, set.poll(NOW));
        } finally {
            before.setThreadMask();
        }
    }

    @Test
    void timesOutAfterAtLeastTheTimeout() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            set.add(real.pipe()[0], Events.IN);
            long start = System.nanoTime();
            assertEquals(0, set.poll(Duration.ofMillis(30)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(30));
            start = System.nanoTime();
            assertEquals(0, set.ppoll(Duration.ofNanos(2_000_000), SignalSet.threadMask()));
            assertTrue(System.nanoTime() - start >= 2_000_000);
            assertFalse(set.wokenUp());
        }
    }

    @Test
    void wakeupFromAnotherThreadEndsTheWaitAndIsNotAnEntry() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int i = set.add(real.pipe()[0], Events.IN);
            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.poll(null)).blocked();
            set.wakeup();
            assertEquals(0, waiter.get());
            assertTrue(set.wokenUp());
            assertEquals(0, set.revents(i));

            set.wakeup(); // before the wait: the next wait returns at once, once
            assertEquals(0, set.ppoll(null, null));
            assertTrue(set.wokenUp());
            assertEquals(0, set.poll(NOW));
            assertFalse(set.wokenUp(), "the wakeup was consumed");
        }
    }

    @Test
    void threadInterruptDoesNotEndAWaitButWakeupDoes() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            set.add(real.pipe()[0], Events.IN);
            WaitingThread<String> waiter = WaitingThread.start(() -> set.poll(null) + " interrupted=" + Thread.currentThread().isInterrupted())
                    .blocked();
            waiter.interrupt();
            Thread.sleep(100);
            waiter.blocked(); // still in poll(2): a native call does not see Thread.interrupt()
            assertFalse(waiter.isDone());
            set.wakeup();
            assertEquals("0 interrupted=true", waiter.get(), "returns normally; the interrupt status stays set");
        }
    }

    @Test
    void aSecondWaiterOrAChangeDuringAWaitIsRefused() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int i = set.add(real.pipe()[0], Events.IN);
            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.poll(Duration.ofSeconds(20))).blocked();
            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> set.poll(NOW));
            assertTrue(busy.getMessage().contains("another thread is already waiting"), busy.getMessage());
            IllegalStateException change = assertThrows(IllegalStateException.class, () -> set.setEvents(i, Events.OUT));
            assertTrue(change.getMessage().contains("while a thread waits"), change.getMessage());
            assertThrows(IllegalStateException.class, () -> set.add(0, Events.IN));
            assertThrows(IllegalStateException.class, () -> set.remove(i));
            set.wakeup();
            assertEquals(0, waiter.get());
            assertEquals(1, set.size(), "the refused changes changed nothing");
        }
    }

    @Test
    void indexesStayStableAcrossRemoveAndAreReused() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(0)) {
            int[] pipe = real.pipe();
            int a = set.add(pipe[0], Events.IN);
            int b = set.add(pipe[1], Events.OUT);
            int c = set.add(pipe[1], Events.OUT);
            set.remove(b);
            assertEquals(3, set.size());
            assertEquals(-1, set.fd(b));
            assertEquals(1, set.poll(NOW), "the removed entry is not polled");
            assertEquals(Events.OUT, set.revents(c));
            assertEquals(0, set.revents(b));
            assertEquals(b, set.add(pipe[1], Events.OUT), "the lowest free index is reused");
            set.remove(c);
            assertEquals(2, set.size(), "removing the last index shrinks the size");
            assertThrows(IndexOutOfBoundsException.class, () -> set.revents(c));
            set.clear();
            assertEquals(0, set.size());
            assertEquals(0, set.add(pipe[0], Events.IN));
            assertEquals(a, 0);
            for (int n = 1; n < 200; n++) {
                assertEquals(n, set.add(pipe[1], Events.OUT));
            }
            assertEquals(199, set.poll(NOW));
        }
    }

    @Test
    void badArgumentsAreRefusedWithTheReason() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int fd = real.pipe()[0];
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new PollSet(-1)).getMessage().contains("-1"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> set.add(-3, Events.IN)).getMessage().contains("-3"));
            String bits = assertThrows(IllegalArgumentException.class, () -> set.add(fd, Events.IN | EpollSet.ET)).getMessage();
            assertTrue(bits.contains("0x80000000"), bits);
            assertEquals(0, set.size(), "a refused add leaves nothing behind");
            int i = set.add(fd, Events.IN);
            assertThrows(IllegalArgumentException.class, () -> set.setEvents(i, 0x10000));
            String timeout = assertThrows(IllegalArgumentException.class, () -> set.poll(Duration.ofMillis(-1))).getMessage();
            assertTrue(timeout.contains("negative"), timeout);
            assertThrows(IndexOutOfBoundsException.class, () -> set.revents(1));
            assertThrows(IndexOutOfBoundsException.class, () -> set.remove(5));
            set.remove(i);
            assertThrows(IndexOutOfBoundsException.class, () -> set.remove(i));
        }
    }

    @Test
    void aClosedFdIsReportedAsNval() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int[] pipe = real.pipe();
            int i = set.add(pipe[0], Events.IN);
            real.close(pipe[0]);
            assertEquals(1, set.poll(NOW));
            assertEquals(Events.NVAL, set.revents(i));
        }
    }

    @Test
    void closeWakesTheWaiterAndLaterUseThrows() throws Exception {
        try (RealFds real = new RealFds()) {
            PollSet set = new PollSet(1);
            int i = set.add(real.pipe()[0], Events.IN);
            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.poll(null)).blocked();
            set.close();
            assertEquals(0, waiter.get());
            assertTrue(set.wokenUp());
            assertFalse(set.isOpen());
            assertThrows(ClosedChannelException.class, () -> set.poll(NOW));
            assertThrows(ClosedChannelException.class, () -> set.ppoll(NOW, null));
            assertThrows(ClosedChannelException.class, () -> set.add(0, Events.IN));
            assertThrows(ClosedChannelException.class, () -> set.setEvents(i, Events.IN));
            assertThrows(ClosedChannelException.class, () -> set.remove(i));
            assertThrows(ClosedChannelException.class, set::clear);
            set.wakeup(); // harmless after close
            set.close(); // idempotent
            assertEquals(0, set.revents(i), "results stay readable");
        }
    }

    @Test
    void aClosedVpollFdIsRefused() throws Exception {
        try (PollSet set = new PollSet(1)) {
            VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
            vfd.close();
            assertThrows(ClosedChannelException.class, () -> set.add(vfd, Events.IN));
            assertEquals(0, set.size());
        }
    }

    @Test
    void leavesNoDescriptorBehind() throws Exception {
        int before = Probe.openFdCount();
        for (int n = 0; n < 50; n++) {
            try (PollSet set = new PollSet(4)) {
                set.add(0, Events.IN);
                set.poll(NOW);
            }
        }
        assertEquals(before, Probe.openFdCount());
    }
}
