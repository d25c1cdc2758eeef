package org.jvpoll;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Emulations;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.WaitingThread;

/**
 * One behaviour suite, re-run against every backend. A backend this machine lacks is skipped with
 * the reason printed; the emulation backend is always available, so it always runs.
 */
@ExtendWith(BackendSelection.class)
class BackendBehaviourTest {

    static final int ALL_INTEREST = Events.ALL & 0xffff;


    /** Events the backend needs pending before it can raise {@code event}: ERR on the TCP emulation needs OUT. */
    static int baseFor(Backend backend, int event) {
        return backend == Backend.EMULATION_TCP && event == ERR ? OUT : 0;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everySupportedEventIsSetAndClearedAsPollAndEpollSeeIt(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int tested = 0;
        for (int event : Events.namedBits()) {
            if ((backend.supportedEvents() & event) == 0
                    || (event & (Events.RDNORM | Events.WRNORM | Events.WRBAND)) != 0 && Emulations.isEmulation(backend)) {
                continue; // emulation companions are covered with IN and OUT
            }
            if (event == ERR && !Emulations.carries(backend, ERR)) {
                continue; // the socket pair raises ERR only with HUP: UnixEmulationTest covers it
            }
            int base = baseFor(backend, event);
            try (VpollFd vfd = VpollFd.create(base, options); Probe probe = new Probe(vfd.fd(), ALL_INTEREST)) {
                int before = vfd.events();
                assertEquals(before & 0xffff, probe.poll(), "poll before setting " + Events.name(event));
                assertEquals(0, before & event, Events.name(event) + " must start clear");

                int afterSet = vfd.add(event);
                assertEquals(event, afterSet & event, "ctl result after ADD " + Events.name(event));
                assertEquals(afterSet, vfd.events(), "events() after ADD " + Events.name(event));
                assertEquals(afterSet & 0xffff, probe.poll(), "poll(2) after ADD " + Events.name(event));
                assertEquals(afterSet & ALL_INTEREST, probe.epoll(1000), "epoll_wait after ADD " + Events.name(event));

                if ((event & (Events.HUP | RDHUP)) != 0 && Emulations.isEmulation(backend)) {
                    UnsupportedEventsException e = assertThrows(UnsupportedEventsException.class, () -> vfd.delete(event));
                    assertEquals(event, e.events() & event);
                    assertEquals(afterSet, vfd.events(), "a refused DEL changes nothing");
                    assertEquals(afterSet & 0xffff, probe.poll());
                } else {
                    int afterClear = vfd.delete(event);
                    assertEquals(0, afterClear & event, "ctl result after DEL " + Events.name(event));
                    assertEquals(afterClear & 0xffff, probe.poll(), "poll(2) after DEL " + Events.name(event));
                    assertEquals(afterClear & ALL_INTEREST, probe.epoll(0), "epoll_wait after DEL " + Events.name(event));
                }
                tested++;
            }
        }
        int expected = backend == Backend.EMULATION ? 4 : 6;
        assertTrue(tested >= expected, "at least IN, OUT, HUP, RDHUP (and PRI, ERR where carried) are exercised, got " + tested);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void setReplacesTheWholeMaskAndCombinationsWork(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int combo = Emulations.carries(backend, PRI | ERR) ? PRI | OUT | ERR : OUT;
        try (VpollFd vfd = VpollFd.create(IN | OUT, options); Probe probe = new Probe(vfd.fd(), ALL_INTEREST)) {
            assertEquals(IN | OUT, vfd.events() & (IN | OUT | PRI | ERR));
            int m = vfd.set(combo);
            assertEquals(combo, m & (IN | PRI | OUT | ERR));
            assertEquals(m & 0xffff, probe.poll());
            m = vfd.set(0);
            assertEquals(0, m);
            assertEquals(0, probe.poll());
            assertEquals(0, probe.epoll(0));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stateIsExactRepeatedAddThenOneDeleteClears(Backend backend) throws IOException {
        // libvpoll's C emulation leaves IN set here (each ADD writes one more byte, DEL reads 4).
        VpollFd.Options options = BackendSelection.options(backend);
        int other = Emulations.other(backend);
        try (VpollFd vfd = VpollFd.create(0, options); Probe probe = new Probe(vfd.fd(), ALL_INTEREST)) {
            for (int i = 0; i < 7; i++) {
                vfd.add(IN);
                vfd.add(other);
            }
            vfd.delete(IN);
            assertEquals(other, vfd.events() & (IN | other));
            assertEquals(vfd.events() & 0xffff, probe.poll());
            vfd.delete(other);
            assertEquals(0, probe.poll());
            for (int i = 0; i < 5; i++) {    // many PRI cycles keep IN exact (reservoir compaction)
                vfd.add(other | IN);
                vfd.delete(other);
                assertEquals(vfd.events() & 0xffff, probe.poll(), "cycle " + i);
                vfd.delete(IN);
                assertEquals(0, probe.poll(), "cycle " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void initialEventsAndFlags(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int other = Emulations.other(backend);
        try (VpollFd vfd = VpollFd.create(IN | other, options)) {
            assertEquals(IN | other, vfd.events() & (IN | PRI | OUT));
            int fdFlags = Unistd.fcntl(vfd.fd(), Unistd.F_GETFD, 0);
            assertEquals(Unistd.FD_CLOEXEC, fdFlags & Unistd.FD_CLOEXEC, "close-on-exec by default");
            assertEquals(0, Unistd.fcntl(vfd.fd(), Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK, "blocking by default");
            assertEquals(backend, vfd.backend());
        }
        try (VpollFd vfd = VpollFd.create(0, options.closeOnExec(false).nonBlocking(true))) {
            assertEquals(0, Unistd.fcntl(vfd.fd(), Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC);
            assertEquals(Unistd.O_NONBLOCK, Unistd.fcntl(vfd.fd(), Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void badInputIsRejectedPreciselyAndLeaksNothing(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int fdsBefore = Probe.openFdCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VpollFd.create(0x10000000, options));
        assertTrue(e.getMessage().contains("0x10000000"), e.getMessage());
        assertEquals(fdsBefore, Probe.openFdCount(), "a refused create leaves no fd");

        try (VpollFd vfd = VpollFd.create(IN, options)) {
            e = assertThrows(IllegalArgumentException.class, () -> vfd.add(0x80000001));
            assertTrue(e.getMessage().contains("0x80000000"), "names the bad bits: " + e.getMessage());
            assertEquals(IN, vfd.events() & IN, "a rejected call changes nothing");
            e = assertThrows(IllegalArgumentException.class, () -> vfd.ctl(VpollOp.of(7), IN));
            assertTrue(e.getMessage().contains("op 7"), e.getMessage());
            assertThrows(NullPointerException.class, () -> vfd.ctl(null, IN));
        }
        assertEquals(fdsBefore, Probe.openFdCount(), "no fd left behind");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closeIsIdempotentAndUseAfterCloseFails(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int fdsBefore = Probe.openFdCount();
        VpollFd vfd = VpollFd.create(IN, options);
        assertNotEquals(fdsBefore, Probe.openFdCount());
        assertTrue(vfd.isOpen());
        vfd.close();
        vfd.close();
        assertFalse(vfd.isOpen());
        assertEquals(fdsBefore, Probe.openFdCount(), "close releases every descriptor the backend used");
        assertThrows(ClosedChannelException.class, () -> vfd.add(IN));
        assertThrows(ClosedChannelException.class, vfd::events);
        assertTrue(vfd.toString().contains("closed"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aWaiterInAnotherThreadIsWoken(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        int other = Emulations.other(backend);
        try (VpollFd vfd = VpollFd.create(0, options); Probe probe = new Probe(vfd.fd(), IN | other)) {
            WaitingThread<Integer> waiter = WaitingThread.start(() -> probe.epoll(10_000)).blocked();
            vfd.add(other);
            assertEquals(other, waiter.get(), "the waiter blocked in epoll_wait is woken with the event");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyChangeGivesEdgeTriggeredWaitersANewEdgeWhileInIsSet(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        try (VpollFd vfd = VpollFd.create(0, options); Probe probe = new Probe(vfd.fd(), IN | Epoll.EPOLLET)) {
            vfd.add(IN);
            assertEquals(IN, probe.epoll(1000));
            assertEquals(0, probe.epoll(0), "edge-triggered: reported once");
            vfd.add(IN);   // no change, yet the module (and jvpoll) wake waiters: a new edge
            assertEquals(IN, probe.epoll(1000));
            vfd.add(Emulations.other(backend));  // an unrelated change also wakes
            assertEquals(IN, probe.epoll(1000));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void concurrentChangersAndCloseNeverCorruptOrLeak(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        int fdsBefore = Probe.openFdCount();
        for (int round = 0; round < 5; round++) {
            VpollFd vfd = VpollFd.create(0, options);
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            int other = Emulations.other(backend);
            int[] bits = {IN, other, IN, other};
            for (int t = 0; t < bits.length; t++) {
                int bit = bits[t];
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 200; i++) {
                            vfd.add(bit);
                            vfd.delete(bit);
                        }
                    } catch (ClosedChannelException expectedAfterClose) {
                        // the close below may win the race: that is the documented outcome
                    } catch (Throwable ex) {
                        failure.compareAndSet(null, ex);
                    }
                }));
            }
            start.countDown();
            if (round % 2 == 0) {
                for (Thread t : threads) {
                    t.join();
                }
                assertEquals(vfd.events() & 0xffff, org.jvpoll.syscall.Poll.currentEvents(vfd.fd()),
                        "after concurrent changes, the tracked mask is what the kernel reports");
                vfd.close();
            } else {
                Thread.sleep(1);
                vfd.close();
                for (Thread t : threads) {
                    t.join();
                }
            }
            if (failure.get() != null) {
                throw new AssertionError("a changer failed", failure.get());
            }
        }
        assertEquals(fdsBefore, Probe.openFdCount(), "no descriptor leaked by racing close");
    }
}
