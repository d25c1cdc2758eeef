package org.jvpoll.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.backend.Backends;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Stat;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.OpenDescriptors;

/**
 * The adoption of a vpoll fd into a JDK-owned descriptor M, and M's single, deferred, race-free
 * release. White-box: looks at M's number and flags directly.
 */
@ExtendWith(BackendSelection.class)
class SelectableVpollTest {

    static VpollFile create(Backend backend, int events, boolean closeOnExec) throws IOException {
        BackendSelection.options(backend);
        return Backends.get(backend).create(events, closeOnExec, false);
    }

    /**
     * A plain eventfd dressed as a vpoll file, IN while its counter is non-zero: the same kind of
     * descriptor (an anonymous inode) as the eventfd backend's, which this machine may lack.
     */
    static final class PlainEventFd extends VpollFile {
        PlainEventFd() throws VpollException {
            super(EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK));
        }

        @Override
        public Backend backend() {
            return Backend.EVENTFD;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var buf = arena.allocate(8);
                if ((events & Events.IN) != 0 && op != VpollOp.DELETE) {
                    buf.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1);
                    Unistd.write(fd, buf, 8, "write(eventfd)");
                } else if ((events & Events.IN) != 0) {
                    Unistd.read(fd, buf, 8, "read(eventfd)");
                }
            }
            return doEvents(fd);
        }

        @Override
        protected int doEvents(int fd) throws IOException {
            return Poll.currentEvents(fd);
        }

        @Override
        protected void releaseDescriptors(int fd) throws IOException {
            Unistd.close(fd);
        }
    }

    static boolean isOpenAs(int number, Stat.FileId id) throws VpollException {
        return id.equals(Stat.identity(number));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theJdkDescriptorSharesTheVpollOpenFileDescription(Backend backend) throws IOException {
        for (boolean closeOnExec : new boolean[] {true, false}) {
            VpollFile file = create(backend, 0, closeOnExec);
            SelectableVpoll sv = SelectableVpoll.open(file);
            int m = sv.jdkFdNumber();
            try {
                assertNotEquals(file.fd(), m);
                assertEquals(Stat.identity(file.fd()), Stat.identity(m), "M refers to the vpoll file");
                assertEquals(closeOnExec ? Unistd.FD_CLOEXEC : 0, Unistd.fcntl(m, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC,
                        "M copies the vpoll fd's close-on-exec flag (" + closeOnExec + ")");
                assertEquals(0, Poll.currentEvents(m) & Events.IN);
                file.ctl(VpollOp.ADD, Events.IN);
                assertEquals(Events.IN, Poll.currentEvents(m) & Events.IN, "an event set on the vpoll fd shows on M");
                // One open file description: its status flags are shared.
                assertEquals(0, Unistd.fcntl(file.fd(), Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK);
                sv.channel().configureBlocking(false);
                assertEquals(Unistd.O_NONBLOCK, Unistd.fcntl(file.fd(), Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK,
                        "configureBlocking(false) on the channel sets O_NONBLOCK on the vpoll fd too");
                assertEquals(Events.IN, file.ctl(VpollOp.DELETE, 0) & Events.IN, "the vpoll fd still works when non-blocking");
            } finally {
                Stat.FileId id = Stat.identity(m);
                sv.close();
                assertTrue(sv.isReleased());
                assertFalse(file.isOpen(), "closing the channel closes the vpoll file");
                assertFalse(isOpenAs(m, id), "M is closed");
            }
        }
    }

    @Test
    void anAnonymousInodeDescriptorIsAdoptedAndSelectedLikeTheKernelBackends() throws IOException {
        PlainEventFd file = new PlainEventFd();
        SelectableVpoll sv = SelectableVpoll.open(file);
        try (Selector selector = Selector.open()) {
            sv.channel().configureBlocking(false);
            SelectionKey key = sv.channel().register(selector, SelectionKey.OP_READ);
            assertEquals(0, selector.selectNow());
            file.ctl(VpollOp.ADD, Events.IN);
            assertEquals(1, selector.selectNow());
            assertEquals(SelectionKey.OP_READ, key.readyOps());
        } finally {
            sv.close();
        }
        assertTrue(sv.isReleased(), "the selector's close deregistered the channel");
        assertFalse(file.isOpen());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closingWhileRegisteredDefersTheReleaseUntilTheSelectorDeregisters(Backend backend) throws IOException {
        VpollFile file = create(backend, 0, true);
        SelectableVpoll sv = SelectableVpoll.open(file);
        int m = sv.jdkFdNumber();
        Stat.FileId id = Stat.identity(m);
        try (Selector selector = Selector.open()) {
            sv.channel().configureBlocking(false);
            SelectionKey key = sv.channel().register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            selector.selectNow();
            sv.close();
            assertFalse(key.isValid(), "close cancels the key");
            assertFalse(file.isOpen(), "and closes the vpoll file");
            assertFalse(sv.isReleased(), "M stays while the selector may still hold it in its epoll set");
            assertTrue(isOpenAs(m, id));
            selector.selectNow();
            assertTrue(sv.isReleased(), "the next select deregisters the channel and releases M");
            assertFalse(isOpenAs(m, id));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closeWhileAnotherThreadIsInsideSelectNeverTouchesARecycledNumber(Backend backend) throws Exception {
        int before = OpenDescriptors.openCount();
        try (Selector selector = Selector.open()) {
            VpollFile file = create(backend, 0, true);
            SelectableVpoll sv = SelectableVpoll.open(file);
            int m = sv.jdkFdNumber();
            sv.channel().configureBlocking(false);
            SelectionKey key = sv.channel().register(selector, SelectionKey.OP_READ);
            CompletableFuture<Integer> selecting = new CompletableFuture<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread selectorThread = new Thread(() -> {
                try {
                    selecting.complete(BlockedThreads.currentTid());
                    while (!stop.get()) {
                        selector.select(); // blocks until an event or wakeup
                        selector.selectedKeys().clear();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "selector");
            selectorThread.start();
            BlockedThreads.awaitBlocked(selecting.get(10, TimeUnit.SECONDS)); // the close comes while it is in epoll_wait
            sv.close();
            assertFalse(key.isValid());
            // The selector thread releases M on its next select: wake it and wait for that.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!sv.isReleased() && System.nanoTime() < deadline) {
                selector.wakeup();
                Thread.sleep(1);
            }
            assertTrue(sv.isReleased(), "the selector thread released M after deregistering it");
            // M's number is free now; whoever gets it next must keep it.
            try (RandomAccessFile recycled = new RandomAccessFile("/proc/self/exe", "r")) {
                Stat.FileId id = Stat.identity(m);
                sv.close();
                selector.wakeup();
                Thread.sleep(20);
                if (id != null) {
                    assertEquals(id, Stat.identity(m), "descriptor " + m + ", reused by another file, stays open");
                }
                assertTrue(recycled.getFD().valid());
                recycled.length(); // fails if its descriptor was closed under it
            }
            stop.set(true);
            selector.wakeup();
            selectorThread.join(10_000);
            assertEquals(null, failure.get());
        }
        assertEquals(before, OpenDescriptors.countNow(), "no descriptor leaked");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closeRacingDeregistrationReleasesExactlyOnceAndLeaksNothing(Backend backend) throws Exception {
        // On FUSE, one fd held open keeps the per-process mount up across the rounds; otherwise
        // every round would mount and unmount (seconds each, and the unmount finishes after close).
        org.jvpoll.VpollFd mountKeeper = backend == Backend.FUSE && backend.isAvailable()
                ? org.jvpoll.VpollFd.create(0, org.jvpoll.VpollFd.Options.DEFAULT.backend(backend)) : null;
        try {
            racingCloses(backend);
        } finally {
            if (mountKeeper != null) {
                mountKeeper.close();
            }
        }
    }

    private void racingCloses(Backend backend) throws Exception {
        // Counted after one fd of this backend existed: the TCP emulation's listener stays open.
        int before = backend.isAvailable() ? OpenDescriptors.openCount(BackendSelection.options(backend)) : OpenDescriptors.openCount();
        int rounds = 100;
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < rounds; i++) {
                VpollFile file = create(backend, Events.OUT, true);
                SelectableVpoll sv = SelectableVpoll.open(file);
                sv.channel().configureBlocking(false);
                SelectionKey key = sv.channel().register(selector, SelectionKey.OP_WRITE);
                selector.selectNow();
                CountDownLatch go = new CountDownLatch(1);
                Thread closer = new Thread(() -> {
                    try {
                        go.await();
                        sv.close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                closer.start();
                go.countDown();
                // Select while the close runs: deregistration may come before or after the
                // closer's isRegistered check.
                while (closer.isAlive() || key.isValid()) {
                    selector.selectNow();
                    selector.selectedKeys().clear();
                }
                closer.join();
                selector.selectNow();
                assertTrue(sv.isReleased(), "round " + i + ": M released");
            }
        }
        assertEquals(before, OpenDescriptors.countNow(), "no descriptor leaked over " + rounds + " racing closes");
    }

    @Test
    void aGuessTakenByAnotherThreadFallsBackToTheScanAndStillFindsTheRightDescriptor() throws Exception {
        List<RandomAccessFile> thieves = new ArrayList<>();
        long missesBefore = JdkDescriptors.guessMisses();
        JdkDescriptors.afterGuessHook = () -> {
            try {
                thieves.add(new RandomAccessFile("/proc/self/exe", "r")); // takes the guessed number
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        PlainEventFd file = new PlainEventFd();
        SelectableVpoll sv;
        try {
            sv = SelectableVpoll.open(file);
        } finally {
            JdkDescriptors.afterGuessHook = null;
        }
        try {
            assertEquals(missesBefore + 1, JdkDescriptors.guessMisses(), "the stolen guess was detected");
            assertEquals(0, Poll.currentEvents(sv.jdkFdNumber()) & Events.IN);
            file.ctl(VpollOp.ADD, Events.IN);
            assertEquals(Events.IN, Poll.currentEvents(sv.jdkFdNumber()) & Events.IN, "M found by the scan is the right one");
            thieves.get(0).length(); // the thief's file was not replaced by dup3
        } finally {
            sv.close();
            for (RandomAccessFile t : thieves) {
                t.close();
            }
        }
    }

    @Test
    void adoptionsRacingThreadsThatOpenAndCloseFilesAreAlwaysRight() throws Exception {
        int adoptions = 400;
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> churners = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread churner = new Thread(() -> {
                while (!stop.get()) {
                    try (RandomAccessFile f = new RandomAccessFile("/proc/self/exe", "r")) {
                        f.length();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }, "churner-" + t);
            churner.start();
            churners.add(churner);
        }
        long guessesBefore = JdkDescriptors.guesses();
        long missesBefore = JdkDescriptors.guessMisses();
        try {
            for (int i = 0; i < adoptions; i++) {
                PlainEventFd file = new PlainEventFd();
                SelectableVpoll sv = SelectableVpoll.open(file);
                try {
                    int m = sv.jdkFdNumber();
                    assertEquals(0, Poll.currentEvents(m) & Events.IN, "adoption " + i);
                    file.ctl(VpollOp.ADD, Events.IN);
                    assertEquals(Events.IN, Poll.currentEvents(m) & Events.IN, "adoption " + i + ": M is this eventfd");
                    file.ctl(VpollOp.DELETE, Events.IN);
                    assertEquals(0, Poll.currentEvents(m) & Events.IN, "adoption " + i);
                } finally {
                    sv.close();
                }
            }
        } finally {
            stop.set(true);
            for (Thread c : churners) {
                c.join();
            }
        }
        long guesses = JdkDescriptors.guesses() - guessesBefore;
        long misses = JdkDescriptors.guessMisses() - missesBefore;
        System.out.println("adoptions racing 2 file-churning threads: " + guesses + " guesses, " + misses
                + " lost to a concurrent open and resolved by the /proc/self/fd scan");
        assertEquals(adoptions, guesses);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aClosedFileCannotBeAdopted(Backend backend) throws IOException {
        VpollFile file = create(backend, 0, true);
        file.close();
        assertThrows(ClosedChannelException.class, () -> SelectableVpoll.open(file));
    }

    @Test
    void theChannelIsTheJdksOwn() throws IOException {
        PlainEventFd file = new PlainEventFd();
        SelectableVpoll sv = SelectableVpoll.open(file);
        try {
            assertSame(java.nio.channels.spi.SelectorProvider.provider(), sv.channel().provider());
            assertEquals(SelectionKey.OP_READ | SelectionKey.OP_WRITE, sv.channel().validOps());
            assertTrue(sv.channel().isBlocking(), "a new channel starts blocking, like every JDK channel");
        } finally {
            sv.close();
        }
    }
}
