package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;

/** The examples of docs/wait.md, run as written there (plus the assertions the comments state). */
class WaitDocExamplesTest {
    @Test
    void virtualThreadExample() throws Exception {
        try (RealFds real = new RealFds()) {
            int socketFd = real.socketpair()[0];
            try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION));
                 ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Integer> waiter = threads.submit(
                        () -> vfd.await(Events.IN | Events.PRI, Duration.ofSeconds(30)));
                vfd.add(Events.IN);
                int ready = waiter.get();
                int out = threads.submit(() -> Readiness.await(socketFd, Events.OUT, null)).get();
                assertEquals(Events.IN, ready);
                assertEquals(Events.OUT, out);
            }
        }
    }

    @Test
    void pollExample() throws Exception {
        try (RealFds real = new RealFds()) {
            int pipeReadFd = real.pipe()[0];
            try (VpollFd vfd = VpollFd.create(0, VpollFd.Options.DEFAULT.expectedEvents(Events.PRI));
                    PollSet set = new PollSet(4)) {
                int v = set.add(vfd, Events.IN | Events.PRI);
                int p = set.add(pipeReadFd, Events.IN);
                vfd.add(Events.PRI);
                int ready = set.poll(Duration.ofSeconds(1));
                int events = set.revents(v);
                boolean pipeReady = set.revents(p) != 0;
                assertEquals(1, ready);
                assertEquals(Events.PRI, events);
                assertFalse(pipeReady);
            }
        }
    }

    @Test
    void selectExample() throws Exception {
        try (RealFds real = new RealFds(); VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION))) {
            int pipeWriteFd = real.pipe()[1];
            try (SelectSet set = new SelectSet()) {
                set.watch(vfd, true, false, true);
                set.watch(pipeWriteFd, false, true, false);
                vfd.add(Events.IN);
                int n = set.select(Duration.ofMillis(100));
                boolean r = set.readable(vfd.fd());
                boolean w = set.writable(pipeWriteFd);
                boolean x = set.exceptional(vfd.fd());
                assertEquals(2, n);
                assertTrue(r);
                assertTrue(w);
                assertFalse(x);
            }
        }
    }

    @Test
    void epollExample() throws Exception {
        try (RealFds real = new RealFds(); VpollFd vfd = VpollFd.create(0, BackendSelection.options(Backend.EMULATION))) {
            int socketFd = real.socketpair()[0];
            List<String> seen = new ArrayList<>();
            try (EpollSet<String> epoll = EpollSet.open()) {
                epoll.add(vfd, Events.IN | EpollSet.ET, "vpoll");
                epoll.add(socketFd, Events.IN | Events.RDHUP, "socket");
                vfd.add(Events.IN);
                ReadyEvents<String> ready = epoll.await(Duration.ofSeconds(1));
                for (int i = 0; i < ready.count(); i++) {
                    String who = ready.attachment(i);
                    int events = ready.events(i);
                    int fd = ready.fd(i);
                    seen.add(who + " " + Events.toString(events) + " " + (fd == vfd.fd()));
                }
                epoll.modify(vfd.fd(), Events.IN | EpollSet.ONESHOT, "vpoll, once");
                epoll.delete(socketFd);
                assertEquals("vpoll, once", epoll.await(Duration.ZERO).attachment(0));
                assertEquals(0, epoll.await(Duration.ZERO).count(), "ONESHOT");
            }
            assertEquals(List.of("vpoll IN true"), seen);
        }
    }

    @Test
    void ppollWithASignalLetInOnlyDuringTheWait() throws Exception {
        SignalFixture.installHandler();
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            set.add(real.pipe()[0], Events.IN);
            boolean interrupted = false;
            SignalSet previous = SignalSet.of(SignalSet.SIGWINCH).block();
            try {
                org.jvpoll.syscall.Signals.tgkill(org.jvpoll.syscall.Signals.gettid(), SignalSet.SIGWINCH);
                SignalSet duringWait = SignalSet.threadMask().remove(SignalSet.SIGWINCH);
                set.ppoll(null, duringWait);
            } catch (SignalInterruptedException e) {
                interrupted = true;
            } finally {
                previous.setThreadMask();
            }
            assertTrue(interrupted);
        }
    }
}
