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
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.TimerFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.Skip;
import org.jvpoll.testing.WaitingThread;

@ExtendWith(BackendSelection.class)
class SelectSetTest {
    private static final Duration NOW = Duration.ZERO;

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EMULATION_TCP", "FUSE"})
    void mapsVpollEventsToTheThreeSets(Backend backend) throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(backend)); SelectSet set = new SelectSet()) {
            int fd = vfd.fd();
            set.watch(vfd, true, true, true);
            assertEquals(0, set.select(NOW));
            vfd.add(Events.IN);
            assertEquals(1, set.select(NOW));
            assertTrue(set.readable(fd));
            assertFalse(set.writable(fd));
            vfd.set(Events.OUT);
            assertEquals(1, set.pselect(NOW, null));
            assertFalse(set.readable(fd));
            assertTrue(set.writable(fd));
            vfd.set(Events.PRI);
            assertEquals(1, set.select(NOW));
            assertTrue(set.exceptional(fd));
            assertFalse(set.readable(fd), "PRI alone is not readable");
            vfd.set(0);
            assertEquals(0, set.select(NOW));
            assertFalse(set.exceptional(fd));
        }
    }

    @Test
    void mixesVpollWithPipeSocketpairEventfdTimerfdAndTty() throws Exception {
        try (RealFds real = new RealFds(); VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
             SelectSet set = new SelectSet()) {
            int[] pipe = real.pipe();
            int[] pair = real.socketpair();
            int efd = real.eventfd(0);
            int tfd = real.timerfd();
            int[] pty = real.pty();
            for (int fd : new int[] {vfd.fd(), pipe[0], pair[0], efd, tfd, pty[1]}) {
                set.watch(fd, true, false, false);
            }
            set.watch(pipe[1], false, true, false);
            assertEquals(1, set.select(NOW));
            assertTrue(set.writable(pipe[1]));

            real.writeByte(pipe[1]);
            real.writeByte(pair[1]);
            real.writeCounter(efd, 1);
            vfd.add(Events.IN);
            real.writeLine(pty[0]);
            set.unwatch(pipe[1]);
            assertFalse(set.isWatched(pipe[1]));
            assertEquals(5, set.select(Duration.ofSeconds(10)));
            for (int fd : new int[] {vfd.fd(), pipe[0], pair[0], efd, pty[1]}) {
                assertTrue(set.readable(fd), "fd " + fd);
            }
            assertFalse(set.readable(tfd));
            assertFalse(set.writable(pipe[1]), "unwatched");

            real.read(pipe[0]);
            real.read(pair[0]);
            real.read(efd);
            real.read(pty[1]);
            vfd.delete(Events.IN);
            TimerFd.setOneShot(tfd, TimeUnit.MILLISECONDS.toNanos(20));
            assertEquals(1, set.select(null));
            assertTrue(set.readable(tfd));
        }
    }

    @Test
    void fdSetSizeIsEnforcedWithTheFdAndTheLimit() throws Exception {
        try (SelectSet set = new SelectSet()) {
            String at = assertThrows(IllegalArgumentException.class, () -> set.watch(1024, true, false, false)).getMessage();
            assertTrue(at.contains("fd 1024") && at.contains("FD_SETSIZE (1024)"), at);
            String far = assertThrows(IllegalArgumentException.class, () -> set.watch(5000, false, true, false)).getMessage();
            assertTrue(far.contains("fd 5000") && far.contains("1024"), far);
            assertThrows(IllegalArgumentException.class, () -> set.watch(-1, true, false, false));
            assertThrows(IllegalArgumentException.class, () -> set.readable(1024));
            FdSet fds = new FdSet();
            assertThrows(IllegalArgumentException.class, () -> fds.set(FdSet.FD_SETSIZE));
            fds.set(FdSet.FD_SETSIZE - 1);
            fds.set(0);
            fds.set(64);
            assertTrue(fds.isSet(1023) && fds.isSet(0) && fds.isSet(64));
            assertFalse(fds.isSet(63));
            assertEquals(3, fds.count());
            assertEquals(1023, fds.highest());
            assertEquals("[0, 64, 1023]", fds.toString());
            fds.clear(1023);
            assertEquals(64, fds.highest());
            fds.zero();
            assertEquals(-1, fds.highest());
        }
    }

    @Test
    void aClosedWatchedFdIsEbadf() throws Exception {
        try (RealFds real = new RealFds(); SelectSet set = new SelectSet()) {
            int[] pipe = real.pipe();
            set.watch(pipe[0], true, false, false);
            real.close(pipe[0]);
            VpollException e = assertThrows(VpollException.class, () -> set.select(NOW));
            assertEquals(Errno.EBADF, e.errno());
            assertTrue(e.call().startsWith("select"), e.call());
        }
    }

    @Test
    void timesOutAndWakesUpFromAnotherThread() throws Exception {
        try (RealFds real = new RealFds(); SelectSet set = new SelectSet()) {
            int fd = real.pipe()[0];
            set.watch(fd, true, false, false);
            long start = System.nanoTime();
            assertEquals(0, set.select(Duration.ofMillis(20)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20));
            assertEquals(0, set.pselect(Duration.ofNanos(1_500_000), SignalSet.threadMask()));
            assertFalse(set.wokenUp());

            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.select(null)).blocked();
            set.wakeup();
            assertEquals(0, waiter.get());
            assertTrue(set.wokenUp());
            assertFalse(set.readable(fd));
        }
    }

    @Test
    void closeWakesTheWaiterAndLaterUseThrows() throws Exception {
        try (RealFds real = new RealFds()) {
            SelectSet set = new SelectSet();
            int fd = real.pipe()[0];
            set.watch(fd, true, false, false);
            WaitingThread<Integer> waiter = WaitingThread.start(() -> set.select(null)).blocked();
            set.close();
            assertEquals(0, waiter.get());
            assertThrows(ClosedChannelException.class, () -> set.select(NOW));
            assertThrows(ClosedChannelException.class, () -> set.pselect(NOW, null));
            assertThrows(ClosedChannelException.class, () -> set.watch(fd, true, true, true));
            assertThrows(ClosedChannelException.class, () -> set.unwatch(fd));
            set.wakeup();
            set.close();
            assertFalse(set.readable(fd));
        }
    }

    @Test
    void refusesToOpenWhenEveryNumberBelowFdSetSizeIsTaken() throws Exception {
        long limit = openFilesSoftLimit();
        if (limit <= FdSet.FD_SETSIZE + 1) {
            String why = "RLIMIT_NOFILE is " + limit + ": no room for descriptors at FD_SETSIZE and above";
            throw Skip.because(why);
        }
        int before = Probe.openFdCount();
        java.util.List<Integer> filler = new java.util.ArrayList<>();
        try {
            for (int fd = 0; fd < FdSet.FD_SETSIZE - 1; ) {
                fd = org.jvpoll.syscall.Unistd.dup(0);
                filler.add(fd);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, SelectSet::new);
            assertTrue(e.getMessage().contains("FD_SETSIZE (1024)"), e.getMessage());
        } finally {
            for (int fd : filler) {
                org.jvpoll.syscall.Unistd.close(fd);
            }
        }
        assertEquals(before, Probe.openFdCount(), "the refused set closed its eventfd");
    }

    private static long openFilesSoftLimit() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return Long.MAX_VALUE;
    }

    @Test
    void aClosedVpollFdIsRefused() throws Exception {
        try (SelectSet set = new SelectSet()) {
            VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
            vfd.close();
            assertThrows(ClosedChannelException.class, () -> set.watch(vfd, true, false, false));
        }
    }

    @Test
    void leavesNoDescriptorBehind() throws Exception {
        int before = Probe.openFdCount();
        for (int n = 0; n < 50; n++) {
            try (SelectSet set = new SelectSet()) {
                set.watch(0, true, false, false);
                set.select(NOW);
            }
        }
        assertEquals(before, Probe.openFdCount());
    }
}
