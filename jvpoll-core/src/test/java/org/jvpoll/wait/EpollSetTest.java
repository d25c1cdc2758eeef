package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
import org.jvpoll.testing.WaitingThread;

@ExtendWith(BackendSelection.class)
class EpollSetTest {
    private static final Duration NOW = Duration.ZERO;

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EMULATION", "FUSE"})
    void reportsVpollEventsWithTheAttachment(Backend backend) throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(backend)); EpollSet<String> epoll = EpollSet.open()) {
            epoll.add(vfd, Events.IN | Events.OUT, "vpoll");
            assertEquals(0, epoll.await(NOW).count());
            vfd.add(Events.OUT);
            ReadyEvents<String> ready = epoll.await(NOW);
            assertEquals(1, ready.count());
            assertEquals(vfd.fd(), ready.fd(0));
            assertEquals(Events.OUT, ready.events(0));
            assertEquals("vpoll", ready.attachment(0));
            assertFalse(ready.wokenUp());
            vfd.delete(Events.OUT);
            assertEquals(0, epoll.await(NOW).count());
        }
    }

    @Test
    void mixesPipeSocketpairEventfdTimerfdTtyAndVpollEachWithItsAttachment() throws Exception {
        try (RealFds real = new RealFds(); VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
             EpollSet<Object> epoll = EpollSet.open()) {
            int[] pipe = real.pipe();
            int[] pair = real.socketpair();
            int efd = real.eventfd(0);
            int tfd = real.timerfd();
            Map<Integer, Object> expected = new HashMap<>();
            int[] pty = real.pty();
            for (int fd : new int[] {pipe[0], pair[0], efd, tfd, pty[1]}) {
                Object attachment = new Object();
                expected.put(fd, attachment);
                epoll.add(fd, Events.IN, attachment);
            }
            epoll.add(vfd, Events.IN, "vpoll");
            expected.put(vfd.fd(), "vpoll");
            assertEquals(6, epoll.size());
            assertSame(expected.get(efd), epoll.attachment(efd));

            real.writeLine(pty[0]);
            real.writeByte(pipe[1]);
            real.writeByte(pair[1]);
            real.writeCounter(efd, 1);
            vfd.add(Events.IN);
            TimerFd.setOneShot(tfd, 1);
            Map<Integer, Object> seen = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.size() < 6 && System.nanoTime() < deadline) {
                ReadyEvents<Object> ready = epoll.await(Duration.ofSeconds(1));
                for (int i = 0; i < ready.count(); i++) {
                    assertEquals(Events.IN, ready.events(i), "fd " + ready.fd(i));
                    seen.put(ready.fd(i), ready.attachment(i));
                }
            }
            assertEquals(expected, seen);
        }
    }

    @Test
    void modifyReplacesEventsAndAttachmentAndDeleteStopsReports() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int[] pipe = real.pipe();
            epoll.add(pipe[1], Events.IN, "in");
            assertEquals(0, epoll.await(NOW).count());
            epoll.modify(pipe[1], Events.OUT, "out");
            ReadyEvents<String> ready = epoll.await(NOW);
            assertEquals(1, ready.count());
            assertEquals("out", ready.attachment(0));
            epoll.delete(pipe[1]);
            assertFalse(epoll.isRegistered(pipe[1]));
            assertEquals(0, epoll.await(NOW).count());
            assertEquals(0, epoll.size());
            assertThrows(IndexOutOfBoundsException.class, () -> epoll.await(NOW).fd(0));
        }
    }

    @Test
    void edgeTriggeredReportsAChangeOnceAndAFreshAddAgain() throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION)); EpollSet<String> epoll = EpollSet.open()) {
            vfd.add(Events.IN);
            epoll.add(vfd, Events.IN | EpollSet.ET, "et");
            assertEquals(1, epoll.await(NOW).count(), "ADD of an already-set event is an edge");
            assertEquals(0, epoll.await(NOW).count(), "no new edge");
            epoll.delete(vfd);
            epoll.add(vfd, Events.IN | EpollSet.ET, "again");
            ReadyEvents<String> ready = epoll.await(NOW);
            assertEquals(1, ready.count(), "a fresh ADD gives a new edge");
            assertEquals("again", ready.attachment(0));
            assertEquals(0, epoll.await(NOW).count());
        }
    }

    @Test
    void oneShotFiresOnceUntilModifyRearmsIt() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int efd = real.eventfd(1);
            epoll.add(efd, Events.IN | EpollSet.ONESHOT, "first");
            assertEquals("first", epoll.await(NOW).attachment(0));
            assertEquals(0, epoll.await(NOW).count(), "disabled after one event, though still readable");
            assertTrue(epoll.isRegistered(efd));
            epoll.modify(efd, Events.IN | EpollSet.ONESHOT, "rearmed");
            assertEquals("rearmed", epoll.await(NOW).attachment(0));
            assertEquals(0, epoll.await(NOW).count());
        }
    }

    @Test
    void exclusiveFollowsTheKernelRules() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> a = EpollSet.open(); EpollSet<String> b = EpollSet.open()) {
            int efd = real.eventfd(0);
            a.add(efd, Events.IN | EpollSet.EXCLUSIVE, "a");
            b.add(efd, Events.IN | EpollSet.EXCLUSIVE | EpollSet.ET, "b");
            real.writeCounter(efd, 1);
            assertEquals(1, a.await(NOW).count());
            assertEquals(1, b.await(NOW).count(), "level state is reported to every set that looks");

            String mod = assertThrows(IllegalArgumentException.class,
                    () -> a.modify(efd, Events.IN, "x")).getMessage();
            assertTrue(mod.contains("added with EXCLUSIVE"), mod);
            String modFlag = assertThrows(IllegalArgumentException.class,
                    () -> a.modify(efd, Events.IN | EpollSet.EXCLUSIVE, "x")).getMessage();
            assertTrue(modFlag.contains("only be given to add"), modFlag);
            int other = real.eventfd(0);
            String oneshot = assertThrows(IllegalArgumentException.class,
                    () -> a.add(other, Events.IN | EpollSet.EXCLUSIVE | EpollSet.ONESHOT, "x")).getMessage();
            assertTrue(oneshot.contains("ONESHOT"), oneshot);
            String pri = assertThrows(IllegalArgumentException.class,
                    () -> a.add(other, Events.IN | Events.PRI | EpollSet.EXCLUSIVE, "x")).getMessage();
            assertTrue(pri.contains("PRI"), pri);
            assertFalse(a.isRegistered(other), "a refused add leaves nothing behind");
            a.delete(efd);
            a.add(efd, Events.IN, "plain again");
        }
    }

    /** The rules checked before the call are the kernel's: each broken one is EINVAL from epoll_ctl itself. */
    @Test
    void kernelAgreesWithTheExclusiveRules() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> inner = EpollSet.open()) {
            int epfd = org.jvpoll.syscall.Epoll.create(org.jvpoll.syscall.Epoll.EPOLL_CLOEXEC);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment ev = arena.allocate(org.jvpoll.syscall.Epoll.EVENT_SIZE);
                int efd = real.eventfd(0);
                int add = org.jvpoll.syscall.Epoll.EPOLL_CTL_ADD;
                int mod = org.jvpoll.syscall.Epoll.EPOLL_CTL_MOD;
                for (int events : new int[] {Events.IN | EpollSet.EXCLUSIVE | EpollSet.ONESHOT,
                                             Events.IN | Events.PRI | EpollSet.EXCLUSIVE,
                                             Events.IN | Events.RDHUP | EpollSet.EXCLUSIVE}) {
                    VpollException e = assertThrows(VpollException.class,
                            () -> org.jvpoll.syscall.Epoll.ctl(epfd, add, efd, events, 0, ev), Integer.toHexString(events));
                    assertEquals(Errno.EINVAL, e.errno());
                }
                assertEquals(Errno.EINVAL, assertThrows(VpollException.class, () -> org.jvpoll.syscall.Epoll.ctl(
                        epfd, add, inner.fd(), Events.IN | EpollSet.EXCLUSIVE, 0, ev)).errno(), "an epoll fd as target");
                org.jvpoll.syscall.Epoll.ctl(epfd, add, efd, Events.IN | EpollSet.EXCLUSIVE, 0, ev);
                assertEquals(Errno.EINVAL, assertThrows(VpollException.class, () -> org.jvpoll.syscall.Epoll.ctl(
                        epfd, mod, efd, Events.IN, 0, ev)).errno(), "MOD of an exclusive registration");
                int other = real.eventfd(0);
                org.jvpoll.syscall.Epoll.ctl(epfd, add, other, Events.IN, 0, ev);
                assertEquals(Errno.EINVAL, assertThrows(VpollException.class, () -> org.jvpoll.syscall.Epoll.ctl(
                        epfd, mod, other, Events.IN | EpollSet.EXCLUSIVE, 0, ev)).errno(), "MOD with EXCLUSIVE");
            } finally {
                org.jvpoll.syscall.Unistd.close(epfd);
            }
            try (EpollSet<String> outer = EpollSet.open()) {
                VpollException nested = assertThrows(VpollException.class,
                        () -> outer.add(inner.fd(), Events.IN | EpollSet.EXCLUSIVE, "x"));
                assertEquals(Errno.EINVAL, nested.errno(), "left to the kernel, with its errno");
                assertEquals(0, outer.size());
            }
        }
    }

    @Test
    void wakeupFlagIsAcceptedAndEventsStillArrive() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int efd = real.eventfd(1);
            epoll.add(efd, Events.IN | EpollSet.WAKEUP, "wakeup source");
            assertEquals("wakeup source", epoll.await(NOW).attachment(0));
            epoll.modify(efd, Events.IN | EpollSet.WAKEUP | EpollSet.ET, "et");
            assertEquals("et", epoll.await(NOW).attachment(0));
        }
    }

    @Test
    void aClosedVpollFdIsRefusedByNumberlessCalls() throws Exception {
        try (EpollSet<String> epoll = EpollSet.open()) {
            VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
            epoll.add(vfd, Events.IN, "v");
            vfd.close();
            assertThrows(ClosedChannelException.class, () -> epoll.add(vfd, Events.IN, "again"));
            assertThrows(ClosedChannelException.class, () -> epoll.modify(vfd, Events.IN, "again"));
            assertThrows(ClosedChannelException.class, () -> epoll.delete(vfd));
        }
    }

    @Test
    void exclusiveWakesOneOfSeveralWaitingSets() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> a = EpollSet.open(); EpollSet<String> b = EpollSet.open();
             EpollSet<String> c = EpollSet.open()) {
            int efd = real.eventfd(0);
            a.add(efd, Events.IN | EpollSet.EXCLUSIVE | EpollSet.ET, "a");
            b.add(efd, Events.IN | EpollSet.EXCLUSIVE | EpollSet.ET, "b");
            c.add(efd, Events.IN | EpollSet.ET, "c (not exclusive)");
            java.util.List<EpollSet<String>> sets = java.util.List.of(a, b, c);
            java.util.List<WaitingThread<Integer>> waiters = new java.util.ArrayList<>();
            for (EpollSet<String> set : sets) {
                waiters.add(WaitingThread.start(() -> set.await(Duration.ofSeconds(2)).count()));
            }
            for (WaitingThread<Integer> waiter : waiters) {
                waiter.blocked(); // EXCLUSIVE picks one set among those with a thread asleep in epoll_wait
            }
            real.writeCounter(efd, 1);
            int woken = waiters.get(0).get() + waiters.get(1).get();
            assertEquals(1, waiters.get(2).get(), "a non-exclusive waiter is always woken");
            assertEquals(1, woken, "exactly one of the two exclusive waiters got the edge");
        }
    }

    @Test
    void kernelErrorsCarryTheErrno() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int efd = real.eventfd(0);
            epoll.add(efd, Events.IN, "x");
            VpollException twice = assertThrows(VpollException.class, () -> epoll.add(efd, Events.IN, "y"));
            assertEquals(Errno.EEXIST, twice.errno());
            assertEquals("x", epoll.attachment(efd), "the failed add kept the first registration");
            assertEquals(1, epoll.size());
            int unknown = real.eventfd(0);
            VpollException mod = assertThrows(VpollException.class, () -> epoll.modify(unknown, Events.IN, "z"));
            assertEquals(Errno.ENOENT, mod.errno());
            assertTrue(mod.getMessage().contains("not registered"), mod.getMessage());
            assertEquals(Errno.ENOENT, assertThrows(VpollException.class, () -> epoll.delete(unknown)).errno());
            VpollException bad = assertThrows(VpollException.class, () -> epoll.add(999_999, Events.IN, "z"));
            assertEquals(Errno.EBADF, bad.errno());
            assertTrue(bad.call().startsWith("epoll_ctl"), bad.call());
            assertEquals(1, epoll.size(), "failed adds leave no entry");
            assertThrows(IllegalArgumentException.class, () -> epoll.add(-1, Events.IN, "z"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> epoll.add(epoll.fd(), Events.IN, "z"))
                    .getMessage().contains("own epoll fd"));
            assertThrows(IllegalArgumentException.class, () -> EpollSet.open(0));
            assertThrows(IllegalArgumentException.class, () -> epoll.await(Duration.ofSeconds(-1)));
        }
    }

    @Test
    void aClosedDescriptorLeavesTheSetAndItsNumberCanBeAddedAgain() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int efd = real.eventfd(1);
            epoll.add(efd, Events.IN, "old");
            real.close(efd);
            assertEquals(0, epoll.await(NOW).count(), "the kernel dropped the closed fd");
            int reused = real.eventfd(1);
            assertEquals(efd, reused, "the kernel hands out the lowest free number");
            epoll.add(reused, Events.IN, "new");
            ReadyEvents<String> ready = epoll.await(NOW);
            assertEquals(1, ready.count());
            assertEquals("new", ready.attachment(0));
            assertEquals(1, epoll.size(), "the stale entry was recycled");
        }
    }

    @Test
    void wakeupEndsTheWaitAndIsNeverAnEvent() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open(1)) {
            epoll.add(real.pipe()[0], Events.IN, "pipe");
            WaitingThread<Boolean> waiter = WaitingThread.start(() -> {
                ReadyEvents<String> ready = epoll.await(null);
                return ready.count() == 0 && ready.wokenUp();
            }).blocked();
            epoll.wakeup();
            assertTrue(waiter.get());
            epoll.wakeup();
            epoll.wakeup();
            assertTrue(epoll.await(null, null).wokenUp());
            assertFalse(epoll.await(NOW).wokenUp(), "wakeups before a wait collapse into one");
        }
    }

    @Test
    void registrationFromAnotherThreadDuringAWaitIsSeen() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            int efd = real.eventfd(1);
            WaitingThread<String> waiter = WaitingThread.start(() -> {
                ReadyEvents<String> ready = epoll.await(Duration.ofSeconds(10));
                return ready.count() == 1 ? ready.attachment(0) : "count " + ready.count();
            }).blocked();
            epoll.add(efd, Events.IN, "added while waiting");
            assertEquals("added while waiting", waiter.get());
        }
    }

    @Test
    void nestsInsideAnotherEpollSet() throws Exception {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION)); EpollSet<String> inner = EpollSet.open();
             EpollSet<EpollSet<String>> outer = EpollSet.open()) {
            inner.add(vfd, Events.IN, "vpoll");
            outer.add(inner.fd(), Events.IN, inner);
            assertEquals(0, outer.await(NOW).count());
            vfd.add(Events.IN);
            ReadyEvents<EpollSet<String>> ready = outer.await(Duration.ofSeconds(10));
            assertEquals(1, ready.count());
            assertEquals("vpoll", ready.attachment(0).await(NOW).attachment(0));
        }
    }

    @Test
    void manyRegistrationsGrowTheTableAndAwaitReportsAtMostMaxEvents() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<Integer> epoll = EpollSet.open(8)) {
            for (int n = 0; n < 40; n++) {
                epoll.add(real.eventfd(1), Events.IN, n);
            }
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int round = 0; round < 5; round++) {
                ReadyEvents<Integer> ready = epoll.await(NOW);
                assertEquals(8, ready.count());
                for (int i = 0; i < ready.count(); i++) {
                    seen.add(ready.attachment(i));
                }
            }
            assertEquals(40, seen.size(), "the kernel rotates through the ready list");
        }
    }

    @Test
    void closeWakesTheWaiterAndLaterUseThrows() throws Exception {
        try (RealFds real = new RealFds()) {
            EpollSet<String> epoll = EpollSet.open();
            int efd = real.eventfd(0);
            epoll.add(efd, Events.IN, "x");
            WaitingThread<Boolean> waiter = WaitingThread.start(() -> epoll.await(null).wokenUp()).blocked();
            epoll.close();
            assertTrue(waiter.get());
            assertThrows(ClosedChannelException.class, () -> epoll.await(NOW));
            assertThrows(ClosedChannelException.class, () -> epoll.await(NOW, null));
            assertThrows(ClosedChannelException.class, () -> epoll.add(real.eventfd(0), Events.IN, "y"));
            assertThrows(ClosedChannelException.class, () -> epoll.modify(efd, Events.IN, "y"));
            assertThrows(ClosedChannelException.class, () -> epoll.delete(efd));
            epoll.wakeup();
            epoll.close();
            assertFalse(epoll.isOpen());
            assertNull(epoll.attachment(12345));
        }
    }

    @Test
    void aSecondConcurrentWaiterIsRefused() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> epoll = EpollSet.open()) {
            epoll.add(real.pipe()[0], Events.IN, "pipe");
            WaitingThread<Integer> waiter = WaitingThread.start(() -> epoll.await(Duration.ofSeconds(20)).count()).blocked();
            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> epoll.await(NOW));
            assertTrue(busy.getMessage().contains("one EpollSet per waiting thread"), busy.getMessage());
            epoll.wakeup();
            assertEquals(0, waiter.get());
        }
    }

    @Test
    void ownDescriptorsAreCloseOnExec() throws Exception {
        try (EpollSet<String> epoll = EpollSet.open(); PollSet poll = new PollSet(1); SelectSet select = new SelectSet()) {
            assertTrue(closeOnExec(epoll.fd()), "epoll_create1(EPOLL_CLOEXEC)");
            assertTrue(closeOnExec(epoll.core().wakeFd), "EpollSet's wakeup eventfd");
            assertTrue(closeOnExec(poll.core().wakeFd), "PollSet's wakeup eventfd");
            assertTrue(closeOnExec(select.core().wakeFd), "SelectSet's wakeup eventfd");
        }
    }

    private static boolean closeOnExec(int fd) throws VpollException {
        return (org.jvpoll.syscall.Unistd.fcntl(fd, org.jvpoll.syscall.Unistd.F_GETFD, 0)
                & org.jvpoll.syscall.Unistd.FD_CLOEXEC) != 0;
    }

    @Test
    void leavesNoDescriptorBehind() throws Exception {
        int before = Probe.openFdCount();
        for (int n = 0; n < 50; n++) {
            try (EpollSet<String> epoll = EpollSet.open()) {
                epoll.add(0, Events.IN, "stdin");
                epoll.await(NOW);
            }
        }
        assertEquals(before, Probe.openFdCount());
    }
}
