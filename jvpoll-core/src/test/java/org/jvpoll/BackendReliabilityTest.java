package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.MemFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.syscall.UnixSockets;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Probe;

/**
 * Stress, fd safety and leak checks, re-run against every backend (dev-vpoll through a
 * FUSE-served file in {@link DevVpollReliabilityOverFuseTest}). Counts are scaled down for CI;
 * the full runs take system properties (see docs/reliability.md):
 * {@code -Djvpoll.stress.ops=1000000 -Djvpoll.leak.cycles=1000000 -Djvpoll.canary.rounds=10000}.
 * Every test prints one line of figures starting with its name, which docs/reliability.md quotes.
 */
@ExtendWith(BackendSelection.class)
class BackendReliabilityTest {
    static final int THREADS = 8;
    static final int SHARED_FDS = 4;
    static final long WAKE_DEADLINE_NANOS = 10_000_000_000L;

    static long prop(String name, long ciDefault) {
        return Long.getLong(name, ciDefault);
    }

    /** Bits the stress churns with: HUP and RDHUP are terminal on the emulation, so left out. */
    static final int[] CHURN_BITS = {Events.IN, Events.PRI, Events.OUT, Events.ERR, Events.RDNORM, Events.WRNORM};
    /** What the socket-pair emulation sets and clears (no PRI, ERR only with HUP, which is terminal). */
    static final int[] SOCKET_PAIR_CHURN_BITS = {Events.IN, Events.OUT, Events.RDNORM, Events.WRNORM, Events.WRBAND};

    /**
     * 8 threads do mixed ADD/DEL/SET on 4 shared fds while one edge-triggered epoll waiter per fd
     * counts IN wake-ups. Every 64 operations a thread rings a "doorbell": with the churn on that fd
     * paused it deletes then adds IN, and the waiter must report IN within 10 s (a lost wake-up
     * fails the test). Each ctl result is checked against what its own operation guarantees.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void eightThreadsOfMixedOperationsLoseNoWakeup(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        long totalOps = prop("jvpoll.stress.ops", backend == Backend.EMULATION_TCP ? 8_000 : 80_000);
        // Every backend churns every bit it has, OUT and ERR included (the emulation once failed
        // here: OUT came back after a clear; docs/reliability.md). -Djvpoll.stress.emulationInOnly=true
        // restricts the emulation to IN/PRI, as the figures measured before that fix.
        int[] churnBits = backend == Backend.EMULATION_TCP && Boolean.getBoolean("jvpoll.stress.emulationInOnly")
                ? new int[] {Events.IN, Events.PRI, Events.RDNORM}
                : backend == Backend.EMULATION ? SOCKET_PAIR_CHURN_BITS : CHURN_BITS;
        VpollFd[] fds = new VpollFd[SHARED_FDS];
        ReentrantReadWriteLock[] locks = new ReentrantReadWriteLock[SHARED_FDS];
        AtomicLong[] wakes = new AtomicLong[SHARED_FDS];
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> waiters = new ArrayList<>();
        AtomicLong refused = new AtomicLong();
        AtomicLong doorbells = new AtomicLong();
        AtomicLong maxWakeNanos = new AtomicLong();
        try {
            for (int i = 0; i < SHARED_FDS; i++) {
                fds[i] = VpollFd.create(Events.OUT, options);
                locks[i] = new ReentrantReadWriteLock();
                wakes[i] = new AtomicLong();
                int fd = fds[i].fd();
                AtomicLong counter = wakes[i];
                waiters.add(Thread.ofPlatform().name("waiter-" + i).start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE * 4);
                        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
                        try {
                            Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, Events.IN | Epoll.EPOLLET, fd, ev);
                            while (!stop.get()) {
                                int n = Epoll.wait(epfd, ev, 4, 100);
                                if (n > 0 && (Epoll.events(ev, 0) & Events.IN) != 0) {
                                    counter.incrementAndGet();
                                }
                            }
                        } finally {
                            Unistd.close(epfd);
                        }
                    } catch (Exception e) {
                        failures.add("waiter: " + e);
                    }
                }));
            }
            long perThread = totalOps / THREADS;
            long start = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = 0x5eed0000L + t;
                workers.add(Thread.ofPlatform().name("churn-" + t).start(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    try {
                        for (long op = 0; op < perThread && failures.isEmpty(); op++) {
                            int i = rnd.nextInt(SHARED_FDS);
                            if (op % 64 == 63) {
                                doorbell(fds[i], locks[i], wakes[i], maxWakeNanos, failures);
                                doorbells.incrementAndGet();
                                continue;
                            }
                            int mask = 0;
                            for (int bit : churnBits) {
                                if (rnd.nextInt(3) == 0) {
                                    mask |= bit;
                                }
                            }
                            VpollOp vop = VpollOp.values()[rnd.nextInt(3)];
                            locks[i].readLock().lock();
                            try {
                                int result = fds[i].ctl(vop, mask);
                                String bad = check(vop, mask, result);
                                if (bad != null) {
                                    failures.add(backend.id() + ": " + vop + " " + Events.toString(mask) + " returned "
                                            + Events.toString(result) + ": " + bad);
                                }
                            } catch (UnsupportedEventsException e) {
                                refused.incrementAndGet(); // documented: what the backend cannot produce
                            } finally {
                                locks[i].readLock().unlock();
                            }
                        }
                    } catch (Exception e) {
                        failures.add(Thread.currentThread().getName() + ": " + e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            for (Thread w : waiters) {
                w.join();
            }
            assertEquals(List.of(), List.copyOf(failures));
            for (VpollFd fd : fds) {
                assertEquals(fd.events() & 0xffff, Poll.currentEvents(fd.fd()), "events() agrees with poll(2) at rest");
            }
            System.out.printf(Locale.ROOT, "STRESS backend=%s threads=%d fds=%d ops=%d refused=%d doorbells=%d "
                    + "lost-wakeups=0 slowest-wakeup=%.1fms seconds=%.1f ops/s=%.0f%n", backend.id(), THREADS, SHARED_FDS,
                    perThread * THREADS, refused.get(), doorbells.get(), maxWakeNanos.get() / 1e6, seconds,
                    perThread * THREADS / seconds);
        } finally {
            stop.set(true);
            for (VpollFd fd : fds) {
                if (fd != null) {
                    fd.close();
                }
            }
        }
    }

    /** @return what is wrong with {@code result} for {@code op} of {@code mask}, or null */
    static String check(VpollOp op, int mask, int result) {
        return switch (op) {
            case ADD, SET -> (result & mask) == mask ? null : "bits it set are missing";
            case DELETE -> (result & mask) == 0 ? null : "bits it deleted are still set";
        };
    }

    private static void doorbell(VpollFd fd, ReentrantReadWriteLock lock, AtomicLong wakes, AtomicLong maxWake,
                                 ConcurrentLinkedQueue<String> failures) throws IOException, InterruptedException {
        lock.writeLock().lock();
        try {
            fd.delete(Events.IN);
            long before = wakes.get();
            long t0 = System.nanoTime();
            fd.add(Events.IN);
            while (wakes.get() <= before) {
                if (System.nanoTime() - t0 > WAKE_DEADLINE_NANOS) {
                    failures.add("lost wake-up: IN set on fd " + fd.fd() + " (" + fd.backend().id()
                            + "), the edge-triggered waiter did not wake within 10 s");
                    return;
                }
                Thread.sleep(0, 50_000);
            }
            maxWake.accumulateAndGet(System.nanoTime() - t0, Math::max);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Closes a vpoll fd while 3 threads are mid-ctl on it, then at once opens canaries (a memfd
     * with known content, an eventfd, a unix socket pair) that take the freed numbers. The ctl
     * threads keep going until they see the fd closed; nothing may reach a canary.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void closeMidCtlNeverReachesDescriptorsThatReuseTheNumber(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        long rounds = prop("jvpoll.canary.rounds", 200);
        // On the emulation an OUT or ERR ctl costs milliseconds (filler, drains): the canary uses
        // IN/PRI there unless -Djvpoll.stress.emulationOut=true (about 90 s at CI counts).
        int[] bits = backend == Backend.EMULATION_TCP && !Boolean.getBoolean("jvpoll.stress.emulationOut")
                ? new int[] {Events.IN, Events.PRI}
                : backend == Backend.EMULATION ? new int[] {Events.IN, Events.OUT} : new int[] {Events.IN, Events.PRI, Events.OUT, Events.ERR};
        long reused = 0;
        long reusedWhileCtlRunning = 0;
        AtomicLong ctlsDuringClose = new AtomicLong();
        MemorySegment buf = Arena.ofAuto().allocate(64);
        for (long r = 0; r < rounds; r++) {
            VpollFd vfd = VpollFd.create(Events.OUT, options);
            int number = vfd.fd();
            AtomicBoolean closed = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> ctls = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                ctls.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (;;) {
                        try {
                            int mask = bits[rnd.nextInt(bits.length)];
                            vfd.ctl(rnd.nextBoolean() ? VpollOp.ADD : VpollOp.DELETE, mask);
                            if (closed.get()) {
                                ctlsDuringClose.incrementAndGet();
                            }
                        } catch (ClosedChannelException e) {
                            return; // documented: the fd is closed
                        } catch (UnsupportedEventsException e) {
                            // documented refusal
                        } catch (Exception e) {
                            failures.add(e.toString());
                            return;
                        }
                    }
                }));
            }
            Thread.sleep(1);
            closed.set(true);
            vfd.close();
            List<int[]> canaries = new ArrayList<>();
            List<int[]> canaryEvents = new ArrayList<>();
            // A ctl in flight holds the number (FdHandle), so open until a canary takes it or
            // the ctl threads are done, then once more.
            boolean got = false;
            for (int i = 0; i < 64 && !got; i++) {
                boolean running = ctls.stream().anyMatch(Thread::isAlive);
                if (openCanaries(number, buf, canaries, canaryEvents)) {
                    got = true;
                    reusedWhileCtlRunning += running ? 1 : 0;
                }
                if (!running) {
                    break;
                }
            }
            for (Thread t : ctls) {
                t.join();
            }
            if (!got) {
                openCanaries(number, buf, canaries, canaryEvents); // the number is free now
            }
            assertEquals(List.of(), List.copyOf(failures), "only ClosedChannelException after close");
            for (int j = 0; j < canaries.size(); j++) {
                int[] c = canaries.get(j);
                for (int fd : c) {
                    if (fd == number) {
                        reused++;
                    }
                }
                assertEquals(6, Files.size(Path.of("/proc/self/fd/" + c[0])), "memfd canary size");
                for (int k = 0; k < c.length; k++) {
                    assertEquals(canaryEvents.get(j)[k], Poll.currentEvents(c[k]),
                            "events of canary fd " + c[k] + " (memfd, eventfd, socket, socket peer)");
                }
                assertEquals(Events.OUT, Poll.currentEvents(c[1]), "eventfd canary stays at 0");
                String content = Files.readString(Path.of("/proc/self/fd/" + c[0]));
                assertEquals("canary", content, "memfd canary content");
                for (int fd : c) {
                    Unistd.close(fd);
                }
            }
        }
        assertTrue(reused > 0, "some canary reused a closed vpoll fd's number");
        System.out.printf(Locale.ROOT, "CANARY backend=%s rounds=%d number-reused=%d reused-while-ctl-threads-ran=%d "
                + "ctl-completed-after-close-began=%d canaries-touched=0%n", backend.id(), rounds, reused,
                reusedWhileCtlRunning, ctlsDuringClose.get());
    }

    /** Opens a memfd with known content, an eventfd and a unix socket pair. @return whether one took {@code number} */
    private static boolean openCanaries(int number, MemorySegment buf, List<int[]> canaries, List<int[]> canaryEvents)
            throws IOException {
        int mem = MemFd.create("canary", MemFd.MFD_CLOEXEC);
        buf.setString(0, "canary");
        Unistd.write(mem, buf, 6, "write(canary)");
        int efd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        int[] pair = UnixSockets.socketpair();
        int[] c = {mem, efd, pair[0], pair[1]};
        int[] baseline = new int[c.length];
        for (int k = 0; k < c.length; k++) {
            baseline[k] = Poll.currentEvents(c[k]);
        }
        canaries.add(c);
        canaryEvents.add(baseline);
        for (int fd : c) {
            if (fd == number) {
                return true;
            }
        }
        return false;
    }

    /**
     * create/ctl/close cycles with the process's descriptor count and the Java heap flat. The
     * emulation also reports sockets left in TIME_WAIT (it closes loopback connections).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void createCtlCloseCyclesLeakNoDescriptorAndNoHeap(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        long cycles = prop("jvpoll.leak.cycles", backend == Backend.EMULATION_TCP ? 5_000 : 10_000);
        // Hold one fd so the FUSE mount (and the per-process listener) outlive the cycles.
        try (VpollFd hold = VpollFd.create(0, options)) {
            for (int i = 0; i < 200; i++) {
                cycle(options, i);
            }
            int fdsBefore = Probe.openFdCount();
            long heapBefore = usedHeapAfterGc();
            int timeWaitBefore = timeWaitSockets();
            long start = System.nanoTime();
            for (long i = 0; i < cycles; i++) {
                cycle(options, i);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int fdsAfter = Probe.openFdCount();
            long heapAfter = usedHeapAfterGc();
            int timeWaitAfter = timeWaitSockets();
            System.out.printf(Locale.ROOT, "LEAK backend=%s cycles=%d fds-before=%d fds-after=%d heap-before=%.1fMiB "
                    + "heap-after=%.1fMiB time-wait-before=%d time-wait-after=%d seconds=%.1f cycles/s=%.0f%n",
                    backend.id(), cycles, fdsBefore, fdsAfter, heapBefore / 1048576.0, heapAfter / 1048576.0,
                    timeWaitBefore, timeWaitAfter, seconds, cycles / seconds);
            assertEquals(fdsBefore, fdsAfter, "open descriptors after " + cycles + " cycles");
            assertTrue(heapAfter - heapBefore < 16L << 20, "heap grew by " + (heapAfter - heapBefore) + " bytes");
            assertTrue(hold.isOpen());
        }
    }

    private static void cycle(VpollFd.Options options, long i) throws IOException {
        try (VpollFd vfd = VpollFd.create((i & 1) == 0 ? 0 : Events.IN, options)) {
            vfd.add(Events.OUT);
            vfd.delete(Events.IN);
        }
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** @return sockets in TIME_WAIT (state 06) on IPv4, from /proc/net/tcp */
    static int timeWaitSockets() throws IOException {
        return (int) Files.readAllLines(Path.of("/proc/net/tcp")).stream().skip(1)
                .map(l -> l.trim().split("\\s+")).filter(f -> f.length > 3 && f[3].equals("06")).count();
    }

    static int readInt(MemorySegment s) {
        return s.get(ValueLayout.JAVA_INT, 0);
    }
}
