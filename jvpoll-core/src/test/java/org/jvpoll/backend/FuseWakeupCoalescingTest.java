package org.jvpoll.backend;

import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.PRI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.fuse.VpollFileSystem;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.FuseSupport;

/**
 * The FUSE backend sends FUSE_NOTIFY_POLL only for changes a poller can observe, at most once per
 * re-poll, and still never loses a wake-up.
 */
class FuseWakeupCoalescingTest {
    static final VpollFd.Options FUSE = VpollFd.Options.DEFAULT.backend(Backend.FUSE);

    @Test
    void aChangeThatLeavesNothingVisibleSendsNoWakeupAndKeepsTheArm() throws Exception {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(0, FUSE); Arena arena = Arena.ofConfined()) {
            VpollFileSystem fs = ProcessMount.current().fileSystem();
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE * 4);
            int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, vfd.fd(), IN, 7, ev); // polls once: armed
                for (int round = 0; round < 5; round++) {
                    long before = fs.notifications();
                    vfd.add(IN);
                    assertEquals(before + 1, fs.notifications(), "a raise after a re-poll wakes, round " + round);
                    vfd.add(IN); // nobody re-polled since: nothing to send
                    assertEquals(before + 1, fs.notifications(), "no second wake-up before the re-poll");
                    assertEquals(1, Epoll.wait(epfd, ev, 4, 1000), "round " + round);
                    assertEquals(IN, Epoll.events(ev, 0));
                    long afterDelivery = fs.notifications();
                    assertEquals(0, vfd.delete(IN));
                    assertEquals(afterDelivery, fs.notifications(), "clearing to nothing needs no wake-up");
                    assertEquals(0, Epoll.wait(epfd, ev, 4, 0), "cleared");
                }
            } finally {
                Unistd.close(epfd);
            }
        }
    }

    @Test
    void aClearThatLeavesABitSetIsANewEdgeAsWithTheModule() throws Exception {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(0, FUSE); Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE * 4);
            int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, vfd.fd(), IN | PRI | Epoll.EPOLLET, 7, ev);
                vfd.add(IN | PRI);
                assertEquals(1, Epoll.wait(epfd, ev, 4, 1000));
                assertEquals(IN | PRI, Epoll.events(ev, 0));
                assertEquals(0, Epoll.wait(epfd, ev, 4, 0), "edge-triggered: reported once");
                vfd.delete(PRI);
                assertEquals(1, Epoll.wait(epfd, ev, 4, 1000), "the module wakes on every change: a new edge");
                assertEquals(IN, Epoll.events(ev, 0));
                vfd.delete(IN);
                assertEquals(0, Epoll.wait(epfd, ev, 4, 0), "nothing left to report");
                vfd.add(IN);
                assertEquals(1, Epoll.wait(epfd, ev, 4, 1000), "the arm survived the empty clear");
                assertEquals(IN, Epoll.events(ev, 0));
            } finally {
                Unistd.close(epfd);
            }
        }
    }

    /** The fan-out benchmark's loop as a test: every raise is delivered exactly once. */
    @Test
    void fanOutDeliversEveryRaise() throws Exception {
        FuseSupport.requireRootFuse();
        int n = 200;
        VpollFd[] fds = new VpollFd[n];
        boolean[] pending = new boolean[n];
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT_SIZE * 64);
            for (int i = 0; i < n; i++) {
                fds[i] = VpollFd.create(0, FUSE);
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), IN, i, events);
            }
            SplittableRandom random = new SplittableRandom(42);
            long raised = 0;
            long delivered = 0;
            for (int round = 0; round < 200; round++) {
                for (int k = 0; k < 32; k++) {
                    int i = random.nextInt(n);
                    if (!pending[i]) {
                        fds[i].add(IN);
                        pending[i] = true;
                        raised++;
                    }
                }
                int got;
                while ((got = Epoll.wait(epfd, events, 64, 0)) > 0) {
                    for (int k = 0; k < got; k++) {
                        int i = (int) Epoll.data(events, k);
                        assertTrue(pending[i], "fd " + i + " delivered without a pending raise");
                        assertEquals(IN, Epoll.events(events, k));
                        fds[i].delete(IN);
                        pending[i] = false;
                    }
                    delivered += got;
                }
                assertEquals(raised, delivered, "round " + round + ": every raise delivered before the next");
            }
        } finally {
            Unistd.close(epfd);
            for (VpollFd f : fds) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }

    /** Changes from one thread while another blocks in epoll_wait: the final raise always wakes it. */
    @Test
    void noWakeupIsLostUnderConcurrentChanges() throws Exception {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(0, FUSE); Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, vfd.fd(), IN, 1, ev);
                SplittableRandom random = new SplittableRandom(7);
                for (int round = 0; round < 200; round++) {
                    AtomicInteger seen = new AtomicInteger(-1);
                    Thread waiter = Thread.ofPlatform().start(() -> {
                        try (Arena a = Arena.ofConfined()) {
                            MemorySegment e = a.allocate(Epoll.EVENT_SIZE);
                            seen.set(Epoll.wait(epfd, e, 1, 10_000) == 1 ? Epoll.events(e, 0) : 0);
                        } catch (Exception e) {
                            seen.set(-2);
                        }
                    });
                    for (int k = random.nextInt(50); k > 0; k--) { // churn that ends cleared
                        vfd.add(PRI);
                        vfd.delete(PRI);
                    }
                    vfd.add(IN);
                    waiter.join(15_000);
                    assertEquals(IN, seen.get(), "round " + round + ": the waiter saw the raise");
                    assertEquals(IN, vfd.events());
                    vfd.delete(IN);
                }
            } finally {
                Unistd.close(epfd);
            }
        }
    }
}
