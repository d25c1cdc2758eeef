package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.syscall.UnixSockets;
import org.jvpoll.syscall.Uring;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Skip;

/** VpollBatch: results equal to one ctl per change on every backend, both paths, close races. */
@ExtendWith(BackendSelection.class)
class VpollBatchTest {
    private static final int FDS = 6;

    /** What one ctl call gave: the mask, or the exception's class. */
    private record Outcome(int mask, Class<?> error) {
        static Outcome of(BatchResult r, int i) {
            return r.error(i) == null ? new Outcome(r.mask(i), null) : new Outcome(-1, r.error(i).getClass());
        }
    }

    /** The bits a random change uses: mostly IN (the batched case), some of everything else. */
    private static int randomEvents(Backend backend, SplittableRandom rnd) {
        int k = rnd.nextInt(40);
        if (k < 24) {
            return Events.IN;
        }
        if (k < 27) {
            return 0;
        }
        if (k < 29) {
            return Events.IN | Events.RDNORM;
        }
        if (k < 32) {
            return Events.OUT;
        }
        if (k < 33) {
            return Events.PRI;
        }
        if (k < 34) {
            return 1 << 29; // outside Events.ALL: IllegalArgumentException
        }
        if (k < 35) {
            return rnd.nextInt(8) == 0 ? Events.HUP : Events.IN; // terminal: rare
        }
        if (k < 36) {
            return Events.RDNORM; // refused alone on the socket pair
        }
        return Events.IN | Events.OUT;
    }

    /**
     * Property: for random batches from fixed seeds, a batch through io_uring, the same batch on
     * the forced sequential path, and one ctl call per change on twin fds give the same result per
     * change and the same final masks. eventfd fds are O_NONBLOCK on odd seeds (their io_uring
     * path) and blocking on even ones (one call each, the outcome says why).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void batchResultsEqualOneCtlPerChange(Backend backend) throws Exception {
        int uringBatches = 0;
        int batches = 0;
        int nonBlockingBatches = 0;
        for (long seed = 1; seed <= 8; seed++) {
            boolean nonBlocking = backend == Backend.EVENTFD && seed % 2 == 1;
            VpollFd.Options options = BackendSelection.options(backend).nonBlocking(nonBlocking);
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
            VpollFd[] viaUring = new VpollFd[FDS];
            VpollFd[] viaLoop = new VpollFd[FDS];
            VpollFd[] viaCtl = new VpollFd[FDS];
            try {
                for (int i = 0; i < FDS; i++) {
                    viaUring[i] = VpollFd.create(0, options);
                    viaLoop[i] = VpollFd.create(0, options);
                    viaCtl[i] = VpollFd.create(0, options);
                }
                for (int round = 0; round < 25; round++) {
                    int n = 1 + rnd.nextInt(24);
                    VpollBatch u = VpollBatch.create(n, true);
                    VpollBatch s = VpollBatch.create(n, false);
                    int[] fdIndex = new int[n];
                    VpollOp[] ops = new VpollOp[n];
                    int[] events = new int[n];
                    for (int c = 0; c < n; c++) {
                        fdIndex[c] = rnd.nextInt(FDS);
                        ops[c] = VpollOp.values()[rnd.nextInt(3)];
                        events[c] = randomEvents(backend, rnd);
                        u.add(viaUring[fdIndex[c]], ops[c], events[c]);
                        s.add(viaLoop[fdIndex[c]], ops[c], events[c]);
                    }
                    BatchResult ru = u.apply();
                    BatchResult rs = s.apply();
                    batches++;
                    nonBlockingBatches += nonBlocking ? 1 : 0;
                    uringBatches += ru.path() == BatchResult.Path.URING ? 1 : 0;
                    if (ru.path() == BatchResult.Path.SEQUENTIAL && Uring.unavailableReason() == null
                            && ru.size() > ru.failures()) {
                        switch (backend) { // a path not taken is explained
                            case DEV_VPOLL -> assertTrue(ru.pathDetail().contains("ioctl"), ru.pathDetail());
                            case EVENTFD -> assertTrue(ru.pathDetail().contains(nonBlocking ? "eventfd" : "O_NONBLOCK"),
                                    ru.pathDetail());
                            default -> { }
                        }
                    }
                    assertEquals(BatchResult.Path.SEQUENTIAL, rs.path(), rs.pathDetail());
                    assertTrue(rs.pathDetail().contains("jvpoll.batch.uring=false"), rs.pathDetail());
                    for (int c = 0; c < n; c++) {
                        Outcome expected;
                        try {
                            expected = new Outcome(viaCtl[fdIndex[c]].ctl(ops[c], events[c]), null);
                        } catch (Exception e) {
                            expected = new Outcome(-1, e.getClass());
                        }
                        String what = String.format(Locale.ROOT, "seed %d round %d change %d: %s %s on fd #%d (%s)",
                                seed, round, c, ops[c], Events.toString(events[c]), fdIndex[c], ru.pathDetail());
                        assertEquals(expected, Outcome.of(ru, c), "io_uring batch, " + what);
                        assertEquals(expected, Outcome.of(rs, c), "sequential batch, " + what);
                    }
                    for (int i = 0; i < FDS; i++) {
                        int expected = viaCtl[i].events();
                        assertEquals(expected, viaUring[i].events(), "recorded mask, io_uring, fd #" + i);
                        assertEquals(expected, viaLoop[i].events(), "recorded mask, sequential, fd #" + i);
                        assertEquals(Poll.currentEvents(viaCtl[i].fd()), Poll.currentEvents(viaUring[i].fd()),
                                "poll(2) of fd #" + i + " after seed " + seed + " round " + round);
                    }
                }
            } finally {
                for (int i = 0; i < FDS; i++) {
                    for (VpollFd[] set : List.of(viaUring, viaLoop, viaCtl)) {
                        if (set[i] != null) {
                            set[i].close();
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "BATCH backend=%s batches=%d through-io_uring=%d (io_uring here: %s)%n",
                backend.id(), batches, uringBatches, Uring.unavailableReason() == null ? "yes" : Uring.unavailableReason());
        if (backend == Backend.EMULATION && Uring.unavailableReason() == null) {
            assertTrue(uringBatches > batches / 2, "most socket-pair batches go through io_uring: " + uringBatches);
        }
        if (backend == Backend.EVENTFD && Uring.unavailableReason() == null) {
            assertTrue(uringBatches > nonBlockingBatches / 2,
                    "most O_NONBLOCK eventfd batches go through io_uring: " + uringBatches + " of " + nonBlockingBatches);
        }
    }

    /** Skips, saying why, where io_uring is missing or disabled (the fallback tests still run). */
    private static void requireUring() {
        String why = Uring.unavailableReason();
        if (why != null) {
            throw Skip.because("io_uring: " + why);
        }
    }

    /** 64 IN raises on 64 fds: one submission, every fd readable in epoll; 64 clears: none left. */
    @Test
    void fanOutBatchIsOneSubmissionThatEpollSees() throws Exception {
        requireUring();
        VpollFd.Options pair = VpollFd.Options.DEFAULT.backend(Backend.EMULATION);
        VpollFd[] fds = new VpollFd[64];
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE * 64);
            VpollBatch batch = VpollBatch.create(64, true);
            for (int i = 0; i < fds.length; i++) {
                fds[i] = VpollFd.create(0, pair);
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), Events.IN, i, ev);
                batch.add(fds[i], VpollOp.ADD, Events.IN);
            }
            BatchResult r = batch.apply();
            assertEquals(BatchResult.Path.URING, r.path(), r.pathDetail());
            assertEquals(64, r.uringChanges());
            assertTrue(r.pathDetail().contains("1 io_uring_enter"), r.pathDetail());
            for (int i = 0; i < 64; i++) {
                assertEquals(Events.IN | Events.RDNORM, r.mask(i));
            }
            assertEquals(64, Epoll.wait(epfd, ev, 64, 0), "every fd ready");
            batch.clear();
            for (VpollFd f : fds) {
                batch.add(f, VpollOp.DELETE, Events.IN);
            }
            r = batch.apply();
            assertEquals(0, r.failures(), r.toString());
            assertEquals(0, Epoll.wait(epfd, ev, 64, 0), "no fd ready");
        } finally {
            Unistd.closeQuietly(epfd);
            for (VpollFd f : fds) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }

    /**
     * OUT on the socket pair through io_uring (URING_CMD setsockopt, kernel >= 6.7): once ctl has
     * cleared OUT (queuing the filler), batches raising and clearing OUT on 64 fds are one
     * submission each, and poll(2) sees every change. Where the kernel lacks it, the path detail
     * names why and the batch still matches.
     */
    @Test
    void outChangesGoThroughIoUringAfterTheFirstClear() throws Exception {
        requireUring();
        VpollFd[] fds = new VpollFd[64];
        try {
            VpollBatch raise = VpollBatch.create(64, true);
            VpollBatch clear = VpollBatch.create(64, true);
            for (int i = 0; i < fds.length; i++) {
                fds[i] = VpollFd.create(Events.OUT | Events.IN, VpollFd.Options.DEFAULT.backend(Backend.EMULATION));
                fds[i].ctl(VpollOp.DELETE, Events.OUT);
                clear.add(fds[i], VpollOp.DELETE, Events.OUT);
                raise.add(fds[i], VpollOp.ADD, Events.OUT);
            }
            for (int round = 0; round < 3; round++) {
                BatchResult r = raise.apply();
                assertEquals(0, r.failures(), r.toString());
                if (r.path() != BatchResult.Path.URING) {
                    assertTrue(r.pathDetail().contains("(OUT: "), r.pathDetail());
                    throw Skip.because("io_uring OUT: " + r.pathDetail());
                }
                assertEquals(64, r.uringChanges(), r.pathDetail());
                assertTrue(r.pathDetail().contains("1 io_uring_enter"), r.pathDetail());
                for (int i = 0; i < fds.length; i++) {
                    assertEquals(Events.IN | Events.RDNORM | Events.OUT | Events.WRNORM | Events.WRBAND, r.mask(i));
                    assertEquals(r.mask(i), Poll.currentEvents(fds[i].fd()) & r.mask(i), "poll(2) after the raise");
                    assertTrue((Poll.currentEvents(fds[i].fd()) & Events.OUT) != 0, "OUT raised");
                }
                r = clear.apply();
                assertEquals(BatchResult.Path.URING, r.path(), r.pathDetail());
                assertEquals(0, r.failures(), r.toString());
                for (int i = 0; i < fds.length; i++) {
                    assertEquals(Events.IN | Events.RDNORM, r.mask(i));
                    assertEquals(0, Poll.currentEvents(fds[i].fd()) & Events.OUT, "poll(2): OUT cleared");
                    assertEquals(Events.IN | Events.RDNORM, fds[i].events());
                }
            }
        } finally {
            for (VpollFd f : fds) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }

    /**
     * A failing io_uring operation: something else read A's queue, so the batched recv that
     * clears IN finds nothing (EAGAIN) — as the one-call ctl does, the change fails with the
     * errno, the state is re-read from the kernel, and the fd's next change in the batch applies.
     */
    @Test
    void aFailedOperationGivesTheErrnoAndTheFdsLaterChangesStillApply() throws Exception {
        requireUring();
        VpollFd.Options pair = VpollFd.Options.DEFAULT.backend(Backend.EMULATION);
        try (VpollFd batched = VpollFd.create(Events.IN, pair); VpollFd single = VpollFd.create(Events.IN, pair);
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            for (VpollFd f : new VpollFd[] {batched, single}) {
                Sockets.recv(f.fd(), buf, 64, Sockets.MSG_DONTWAIT, "steal the IN byte");
            }
            VpollException expected = assertThrows(VpollException.class, () -> single.delete(Events.IN));
            int afterSingle = single.add(Events.IN);
            BatchResult r = VpollBatch.create(2, true)
                    .add(batched, VpollOp.DELETE, Events.IN)
                    .add(batched, VpollOp.ADD, Events.IN).apply();
            assertEquals(BatchResult.Path.URING, r.path(), r.pathDetail());
            VpollException got = assertInstanceOf(VpollException.class, r.error(0));
            assertEquals(expected.errno(), got.errno(), got.toString());
            assertEquals(Errno.EAGAIN, got.errno());
            assertEquals(afterSingle, r.mask(1));
            assertEquals(Poll.currentEvents(single.fd()), Poll.currentEvents(batched.fd()));
            assertEquals(single.events(), batched.events());
            assertEquals(0, batched.delete(Events.IN), "the resync recorded the bytes really queued");
            assertEquals(0, Poll.currentEvents(batched.fd()) & Events.IN, "IN clears exactly after the resync");
        }
    }

    @Test
    void validationErrorsArePerChangeAndMisuseThrows() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> VpollBatch.create(0));
        assertThrows(IllegalArgumentException.class, () -> VpollBatch.create(VpollBatch.MAX_CAPACITY + 1));
        try (VpollFd a = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION))) {
            VpollFd closed = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION));
            closed.close();
            VpollBatch batch = VpollBatch.create(6)
                    .add(a, VpollOp.ADD, Events.IN)
                    .add(null, VpollOp.ADD, Events.IN)
                    .add(a, null, Events.IN)
                    .add(a, VpollOp.ADD, 1 << 30)
                    .add(closed, VpollOp.ADD, Events.IN)
                    .add(a, VpollOp.ADD, Events.PRI);
            assertEquals(6, batch.size());
            assertThrows(IllegalStateException.class, () -> batch.add(a, VpollOp.ADD, Events.IN), "full");
            BatchResult r = batch.apply();
            assertEquals(Events.IN | Events.RDNORM, r.mask(0));
            assertInstanceOf(NullPointerException.class, r.error(1));
            assertInstanceOf(NullPointerException.class, r.error(2));
            IllegalArgumentException bits = assertInstanceOf(IllegalArgumentException.class, r.error(3));
            assertTrue(bits.getMessage().contains("events"), bits.getMessage());
            assertInstanceOf(ClosedChannelException.class, r.error(4));
            UnsupportedEventsException pri = assertInstanceOf(UnsupportedEventsException.class, r.error(5));
            assertEquals(Events.PRI, pri.events());
            assertEquals(5, r.failures());
            assertNull(r.error(0));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.mask(4));
            assertInstanceOf(ClosedChannelException.class, e.getCause());
            assertEquals(0, batch.clear().size());
            assertEquals(0, batch.apply().size());
        }
    }

    @Test
    void forcedSequentialPathSaysSoAndMatches() throws Exception {
        try (VpollFd a = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION))) {
            String before = System.getProperty("jvpoll.batch.uring");
            System.setProperty("jvpoll.batch.uring", "false");
            VpollBatch batch;
            try {
                batch = VpollBatch.create(2);
            } finally {
                if (before == null) {
                    System.clearProperty("jvpoll.batch.uring");
                } else {
                    System.setProperty("jvpoll.batch.uring", before);
                }
            }
            BatchResult r = batch.add(a, VpollOp.ADD, Events.IN).add(a, VpollOp.DELETE, Events.IN).apply();
            assertEquals(BatchResult.Path.SEQUENTIAL, r.path());
            assertTrue(r.pathDetail().contains("jvpoll.batch.uring=false"), r.pathDetail());
            assertEquals(0, r.uringChanges());
            assertEquals(Events.IN | Events.RDNORM, r.mask(0));
            assertEquals(0, r.mask(1));
        }
    }

    @Test
    void libvpollShapedBatch() throws Exception {
        int fd = Vpoll.create(0, Vpoll.FD_CLOEXEC);
        try {
            boolean tcp = Vpoll.lookup(fd).backend() == Backend.EMULATION_TCP;
            int[] fds = {fd, fd, 99_999, fd, fd, fd};
            int[] ops = {Vpoll.VPOLL_CTL_ADDEVENTS, Vpoll.VPOLL_CTL_DELEVENTS, Vpoll.VPOLL_CTL_ADDEVENTS, 7,
                    Vpoll.VPOLL_CTL_ADDEVENTS, Vpoll.VPOLL_CTL_SETEVENTS};
            int[] events = {Vpoll.EPOLLIN, Vpoll.EPOLLIN, Vpoll.EPOLLIN, Vpoll.EPOLLIN, 1 << 30, Vpoll.EPOLLIN};
            int[] results = new int[6];
            int failed = Vpoll.ctlBatch(6, fds, ops, events, results);
            assertEquals(3, failed);
            assertEquals(Vpoll.EPOLLIN, results[0] & Vpoll.EPOLLIN);
            assertEquals(0, results[1] & Vpoll.EPOLLIN);
            assertEquals(-Errno.EBADF, results[2]);
            assertEquals(-Errno.EINVAL, results[3]);
            assertEquals(-Errno.EINVAL, results[4]);
            assertEquals(Vpoll.EPOLLIN, results[5] & Vpoll.EPOLLIN);
            assertEquals(Vpoll.lookup(fd).events(), results[5]);
            if (Vpoll.lookup(fd).backend() == Backend.EMULATION) {
                int[] pri = new int[1];
                assertEquals(1, Vpoll.ctlBatch(1, new int[] {fd}, new int[] {1}, new int[] {Vpoll.EPOLLPRI}, pri));
                assertEquals(-Errno.EOPNOTSUPP, pri[0]);
            }
            assertTrue(tcp || Vpoll.lookup(fd).backend() != null);
            assertThrows(IllegalArgumentException.class, () -> Vpoll.ctlBatch(7, fds, ops, events, results));
            assertEquals(0, Vpoll.ctlBatch(0, fds, ops, events, results));
        } finally {
            Vpoll.close(fd);
        }
    }

    /**
     * The close canary for batches: threads apply batches of IN changes on an fd (and on fds that
     * stay open) while it is closed; descriptors opened right after take the freed numbers, and
     * nothing a batch does may reach them. After the close only ClosedChannelException.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EMULATION", "EMULATION_TCP", "FUSE", "EVENTFD"})
    void batchRacingCloseNeverReachesARecycledNumber(Backend backend) throws Exception {
        // eventfd O_NONBLOCK: its batches go through io_uring
        VpollFd.Options options = BackendSelection.options(backend).nonBlocking(backend == Backend.EVENTFD);
        int rounds = backend == Backend.EMULATION ? 150 : 40;
        long reused = 0;
        AtomicLong appliedAfterClose = new AtomicLong();
        try (VpollFd other = VpollFd.create(0, options)) {
            for (int round = 0; round < rounds; round++) {
                VpollFd vfd = VpollFd.create(0, options);
                int number = vfd.fd();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int seed = round * 2 + t;
                    threads.add(Thread.ofPlatform().start(() -> {
                        SplittableRandom rnd = new SplittableRandom(seed);
                        VpollBatch batch = VpollBatch.create(16);
                        for (;;) {
                            batch.clear();
                            for (int c = 0; c < 16; c++) {
                                batch.add(c % 4 == 0 ? other : vfd, rnd.nextBoolean() ? VpollOp.ADD : VpollOp.DELETE, Events.IN);
                            }
                            boolean wasClosed = closed.get();
                            BatchResult r = batch.apply();
                            boolean sawClosed = false;
                            for (int c = 0; c < 16; c++) {
                                Exception e = r.error(c);
                                if (e instanceof ClosedChannelException && c % 4 != 0) {
                                    sawClosed = true;
                                } else if (e != null) {
                                    failures.add("change " + c + ": " + e);
                                    return;
                                }
                            }
                            if (wasClosed && !sawClosed) {
                                appliedAfterClose.incrementAndGet();
                            }
                            if (sawClosed) {
                                return;
                            }
                        }
                    }));
                }
                Thread.sleep(1);
                closed.set(true);
                vfd.close();
                List<int[]> canaries = new ArrayList<>();
                List<int[]> baselines = new ArrayList<>();
                boolean got = false;
                for (int i = 0; i < 64 && !got; i++) {
                    boolean running = threads.stream().anyMatch(Thread::isAlive);
                    int efd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
                    int[] pair = UnixSockets.socketpair();
                    int[] c = {efd, pair[0], pair[1]};
                    int[] base = new int[3];
                    for (int k = 0; k < 3; k++) {
                        base[k] = Poll.currentEvents(c[k]);
                        got |= c[k] == number;
                    }
                    canaries.add(c);
                    baselines.add(base);
                    if (!running) {
                        break;
                    }
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertEquals(List.of(), List.copyOf(failures), "only ClosedChannelException after close");
                for (int j = 0; j < canaries.size(); j++) {
                    for (int k = 0; k < 3; k++) {
                        int fd = canaries.get(j)[k];
                        reused += fd == number ? 1 : 0;
                        assertEquals(baselines.get(j)[k], Poll.currentEvents(fd), "canary fd " + fd + " untouched");
                    }
                    assertEquals(Events.OUT, Poll.currentEvents(canaries.get(j)[0]), "eventfd canary stays at 0");
                    for (int fd : canaries.get(j)) {
                        Unistd.close(fd);
                    }
                }
            }
        }
        assertTrue(reused > 0, "some canary reused a closed vpoll fd's number");
        System.out.printf(Locale.ROOT, "BATCH-CANARY backend=%s rounds=%d number-reused=%d batches-applied-after-close-began=%d%n",
                backend.id(), rounds, reused, appliedAfterClose.get());
    }
}
