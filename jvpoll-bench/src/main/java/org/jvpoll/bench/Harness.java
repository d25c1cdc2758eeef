package org.jvpoll.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.jvpoll.BatchResult;
import org.jvpoll.Events;
import org.jvpoll.VpollBatch;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Unistd;

/**
 * The figures JMH cannot take: wake-up latency across threads, across processes and through a
 * Selector; fan-out throughput over many fds in one epoll set; heap and descriptors per fd. Each
 * uses the protocol of {@code cbench.c}, so the C and Java numbers compare like for like.
 */
final class Harness {
    private final Consumer<Result> sink;
    private final boolean quick;
    private final Path cbench;

    Harness(Consumer<Result> sink, boolean quick, Path cbench) {
        this.sink = sink;
        this.quick = quick;
        this.cbench = cbench;
    }

    private void emit(String metric, String subject, long param, double value) {
        sink.accept(new Result(metric, subject, param, value));
    }

    /** C subjects of cbench, by figure. */
    static final List<String> C_CTL = List.of(Report.C_EVENTFD, Report.C_LIBVPOLL, Report.C_REPLAY);
    static final List<String> C_WAKE = List.of(Report.C_EVENTFD, Report.C_LIBVPOLL);
    static final List<String> C_FANOUT = List.of(Report.C_EVENTFD, Report.C_LIBVPOLL, Report.C_REPLAY);

    /** Wake-up samples of every chunk and round, per "metric\tsubject". */
    private final Map<String, List<Double>> pooled = new LinkedHashMap<>();

    private void pool(String metric, String subject, double[] samples) {
        List<Double> all = pooled.computeIfAbsent(metric + "\t" + subject, k -> new ArrayList<>());
        for (double v : samples) {
            all.add(v);
        }
    }

    private void recordC(List<String> lines) {
        for (String l : lines) {
            Result r = Result.parse(l);
            if (r != null) {
                sink.accept(r);
            } else if (l.startsWith("SAMPLES\t")) {
                String[] f = l.split("\t");
                pool(f[1], f[2], CBench.samples(l));
            }
        }
    }

    /**
     * One round: every figure measured for the C subjects (through {@code cbench serve}) right
     * next to the Java subjects; wake-ups in chunks that alternate between them.
     */
    void round(CBench c, List<String> subjects, int[] sizes, boolean first) throws IOException, InterruptedException {
        int batches = quick ? 200 : 1000;
        int chunk = quick ? 75 : 100;
        int chunks = 2;
        long fanMillis = quick ? 300 : 1000;
        List<String> ctlSubjects = new ArrayList<>(subjects);
        ctlSubjects.add(Subjects.JAVA_REPLAY);
        if (first) {
            for (String s : ctlSubjects) { // JIT warm-up of every change path, not recorded
                ctlCost(s, 100, false);
            }
        }
        for (String s : C_CTL) {
            recordC(c.run("ctl " + s + " " + batches));
        }
        for (String s : List.of(Report.C_EVENTFD, Report.C_REPLAY)) { // as a multi-threaded process, like a JVM
            recordC(c.run("ctl-mt " + s + " " + batches));
        }
        for (String s : ctlSubjects) {
            ctlCost(s, batches, true);
        }
        for (int k = 0; k < chunks; k++) {
            for (String kind : new String[] {"thread", "process"}) {
                for (String s : C_WAKE) {
                    recordC(c.run("wake " + s + " " + kind + " " + chunk));
                }
                for (String s : subjects) {
                    pool("wake." + kind, s, kind.equals("thread") ? wakeThread(s, chunk) : wakeProcess(s, chunk));
                }
            }
            for (String s : subjects) {
                pool("wake.selector", s, wakeSelector(s, chunk));
            }
        }
        for (int n : sizes) {
            for (String s : C_FANOUT) {
                recordC(c.run("fanout " + s + " " + n + " " + fanMillis));
            }
            for (String s : subjects) {
                fanout(s, n, fanMillis);
            }
            if (subjects.contains(Subjects.EMULATION)) { // issue 15: the same fan-out, changes in batches of 64
                if (first && n == sizes[0]) { // JIT warm-up of the batch paths, not recorded
                    fanoutBatch(org.jvpoll.Backend.EMULATION, n, 2 * fanMillis, true, false);
                    fanoutBatch(org.jvpoll.Backend.EMULATION, n, fanMillis, false, false);
                }
                fanoutBatch(org.jvpoll.Backend.EMULATION, n, fanMillis, true, true);
                fanoutBatch(org.jvpoll.Backend.EMULATION, n, fanMillis, false, true);
            }
        }
        if (subjects.contains(Subjects.EMULATION)) { // issue 15: OUT changes in batches of 64
            outBatch(fanMillis / 2, true, first);
            outBatch(fanMillis / 2, false, first);
        }
        for (int n : sizes) {
            int reps = n > 1000 ? 3 : quick ? 3 : 5;
            for (String s : C_CTL) {
                recordC(c.run("create " + s + " " + n + " " + reps));
            }
            for (String s : subjects) {
                // the JIT needs ~10,000 creations to settle: warm up in the first round
                creation(s, n, reps, first ? Math.max(1, 15_000 / n) : 1);
            }
        }
        for (String s : subjects) {
            memory(s, quick ? 1000 : Arrays.stream(sizes).max().orElse(1000));
        }
    }

    /** Emits median and 99th percentile of the pooled wake-up samples. */
    void emitPooled() {
        pooled.forEach((key, values) -> {
            String[] k = key.split("\t");
            double[] lat = values.stream().mapToDouble(Double::doubleValue).toArray();
            emitLatency(k[0], k[1], lat);
        });
    }

    private static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    private void emitLatency(String metric, String subject, double[] lat) {
        Arrays.sort(lat);
        emit(metric + ".p50", subject, 0, lat[lat.length / 2]);
        emit(metric + ".p99", subject, 0, lat[(int) (lat.length * 0.99)]);
    }

    /**
     * cbench's ctl_cost: {@value CtlBenchmark#BATCH} fds, each timed batch makes one kind of change
     * on all of them, its starting state prepared untimed; the median over batches.
     */
    void ctlCost(String subject, int batches, boolean record) throws IOException {
        Subjects.Handle[] fds = new Subjects.Handle[CtlBenchmark.BATCH];
        try {
            for (int i = 0; i < fds.length; i++) {
                fds[i] = Subjects.open(subject);
            }
            String[] kinds = {"add", "del", "set", "nochange"};
            double[] per = new double[batches];
            for (String kind : kinds) {
                for (int rep = -batches / 4; rep < batches; rep++) { // the first quarter warms up
                    if (kind.equals("del") || kind.equals("nochange")) {
                        for (Subjects.Handle h : fds) {
                            h.add();
                        }
                    }
                    long t0 = System.nanoTime();
                    switch (kind) {
                        case "add" -> {
                            for (Subjects.Handle h : fds) {
                                h.add();
                            }
                        }
                        case "del" -> {
                            for (Subjects.Handle h : fds) {
                                h.del();
                            }
                        }
                        case "set" -> {
                            for (Subjects.Handle h : fds) {
                                h.set();
                            }
                        }
                        default -> {
                            for (Subjects.Handle h : fds) {
                                h.noChange();
                            }
                        }
                    }
                    long t1 = System.nanoTime();
                    if (rep >= 0) {
                        per[rep] = (double) (t1 - t0) / fds.length;
                    }
                    if (!kind.equals("del")) {
                        for (Subjects.Handle h : fds) {
                            h.del();
                        }
                    }
                }
                Arrays.sort(per);
                if (record) {
                    emit("ctl." + kind, subject, 0, per[batches / 2]);
                }
            }
        } finally {
            for (Subjects.Handle h : fds) {
                if (h != null) {
                    h.close();
                }
            }
        }
    }

    /** A thread blocked in epoll_wait, woken by a change made on this thread. */
    double[] wakeThread(String subject, int n) throws IOException, InterruptedException {
        try (Subjects.Handle h = Subjects.open(subject); Arena arena = Arena.ofShared()) {
            int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, h.fd(), Events.IN, 0, arena.allocate(Epoll.EVENT_SIZE));
                MemorySegment out = arena.allocate(Epoll.EVENT_SIZE);
                return crossThread(h, () -> {
                    if (Epoll.wait(epfd, out, 1, 10_000) != 1) {
                        throw new IOException("no wake-up within 10 s");
                    }
                }, n);
            } finally {
                Unistd.closeQuietly(epfd);
            }
        }
    }

    /** A thread blocked in Selector.select() on the fd's channel, woken by a change on this thread. */
    double[] wakeSelector(String subject, int n) throws IOException, InterruptedException {
        try (Subjects.Handle h = Subjects.open(subject); Selector selector = Selector.open()) {
            h.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
            return crossThread(h, () -> {
                if (selector.select(10_000) != 1) {
                    throw new IOException("no selection within 10 s");
                }
                selector.selectedKeys().clear();
            }, n);
        }
    }

    interface Wait {
        void await() throws IOException;
    }

    /** The protocol of cbench.c: "go", the waiter blocks, 150 µs later t0 and the change; it records t1. */
    private static double[] crossThread(Subjects.Handle h, Wait wait, int n) throws IOException, InterruptedException {
        Semaphore go = new Semaphore(0);
        Semaphore ack = new Semaphore(0);
        long[] t1 = new long[1];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().name("waiter").start(() -> {
            try {
                Affinity.pin(1);
                for (;;) {
                    go.acquire();
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    wait.await();
                    t1[0] = System.nanoTime();
                    ack.release();
                }
            } catch (InterruptedException e) {
                // done
            } catch (Throwable t) {
                failure.set(t);
                ack.release();
            }
        });
        double[] lat = new double[n];
        MemorySegment mask = Affinity.current();
        Affinity.pin(0);
        try {
            for (int i = -n / 4; i < n; i++) {
                go.release();
                spin(150_000);
                long t0 = System.nanoTime();
                h.add();
                if (!ack.tryAcquire(20, TimeUnit.SECONDS) || failure.get() != null) {
                    throw new IOException("the waiter failed", failure.get());
                }
                if (i >= 0) {
                    lat[i] = (t1[0] - t0) / 1000.0; // the semaphore orders the read after the write
                }
                h.del();
            }
        } finally {
            Affinity.restore(mask);
            waiter.interrupt();
            waiter.join(10_000);
        }
        return lat;
    }

    /** cbench's waiter in another process takes the fd (pidfd_getfd) and blocks in epoll_wait. */
    double[] wakeProcess(String subject, int n) throws IOException, InterruptedException {
        try (Subjects.Handle h = Subjects.open(subject)) {
            Process child = new ProcessBuilder(cbench.toString(), "waiter",
                    Long.toString(ProcessHandle.current().pid()), Integer.toString(h.fd()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            double[] lat = new double[n];
            MemorySegment mask = Affinity.current();
            Affinity.pin(0);
            try (OutputStream go = child.getOutputStream();
                 BufferedReader ack = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                for (int i = -n / 4; i < n; i++) {
                    go.write('g');
                    go.flush();
                    spin(150_000);
                    long t0 = System.nanoTime();
                    h.add();
                    String line = ack.readLine();
                    if (line == null) {
                        throw new IOException("the waiter process ended: exit " + child.waitFor());
                    }
                    if (i >= 0) {
                        lat[i] = (Long.parseLong(line.trim()) - t0) / 1000.0; // both CLOCK_MONOTONIC
                    }
                    h.del();
                }
                go.write('q');
                go.flush();
            } finally {
                Affinity.restore(mask);
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
            return lat;
        }
    }

    /** n fds in one epoll set; IN raised on random fds, each delivered event consumed by clearing IN. */
    void fanout(String subject, int n, long millis) throws IOException {
        Subjects.Handle[] fds = new Subjects.Handle[n];
        boolean[] pending = new boolean[n];
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            for (int i = 0; i < n; i++) {
                fds[i] = Subjects.open(subject);
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), Events.IN, i, ev);
            }
            int batch = 64;
            MemorySegment events = arena.allocate(Epoll.EVENT_SIZE * batch);
            SplittableRandom random = new SplittableRandom(88172645463325252L);
            long delivered = 0;
            long start = 0;
            for (int phase = 0; phase < 2; phase++) { // phase 0: warm-up, a fifth of the time
                start = System.nanoTime();
                long deadline = start + TimeUnit.MILLISECONDS.toNanos(phase == 0 ? millis / 5 : millis);
                delivered = 0;
                while (System.nanoTime() < deadline) {
                    for (int k = 0; k < batch; k++) {
                        int i = random.nextInt(n);
                        if (!pending[i]) {
                            fds[i].add();
                            pending[i] = true;
                        }
                    }
                    int got;
                    while ((got = Epoll.wait(epfd, events, batch, 0)) > 0) {
                        for (int k = 0; k < got; k++) {
                            int i = (int) Epoll.data(events, k);
                            fds[i].del();
                            pending[i] = false;
                        }
                        delivered += got;
                    }
                }
            }
            emit("fanout", subject, n, delivered / ((System.nanoTime() - start) / 1e9));
        } finally {
            for (Subjects.Handle h : fds) {
                if (h != null) {
                    h.close();
                }
            }
            Unistd.closeQuietly(epfd);
        }
    }

    /** Subject of the batched fan-out on the forced one-call-per-change path. */
    static final String EMULATION_BATCH_SEQUENTIAL = "jvpoll-emulation-sequential";
    /** Subjects of the batched fan-out on eventfd EFD_VPOLL fds (the qemu guest: bin/vm-test). */
    static final String EVENTFD_BATCH = "jvpoll-eventfd";
    static final String EVENTFD_BATCH_SEQUENTIAL = "jvpoll-eventfd-sequential";

    /**
     * {@link #fanout} with the changes made through {@link VpollBatch}: the raises of a round (up
     * to 64) are one batch, the clears of each {@code epoll_wait} result (up to 64) another. With
     * {@code uring} false, the batch's forced one-call-per-change path (jvpoll.batch.uring=false);
     * {@code record} false: a JIT warm-up, nothing emitted. eventfd fds are created O_NONBLOCK,
     * which their io_uring path needs.
     */
    void fanoutBatch(org.jvpoll.Backend backend, int n, long millis, boolean uring, boolean record) throws IOException {
        VpollFd[] fds = new VpollFd[n];
        boolean[] pending = new boolean[n];
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        String before = System.getProperty("jvpoll.batch.uring");
        System.setProperty("jvpoll.batch.uring", Boolean.toString(uring));
        VpollBatch raise;
        VpollBatch clear;
        try {
            raise = VpollBatch.create(64);
            clear = VpollBatch.create(64);
        } finally {
            if (before == null) {
                System.clearProperty("jvpoll.batch.uring");
            } else {
                System.setProperty("jvpoll.batch.uring", before);
            }
        }
        BatchResult.Path path = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            for (int i = 0; i < n; i++) {
                fds[i] = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(backend)
                        .nonBlocking(backend == org.jvpoll.Backend.EVENTFD));
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), Events.IN, i, ev);
            }
            int batch = 64;
            MemorySegment events = arena.allocate(Epoll.EVENT_SIZE * batch);
            SplittableRandom random = new SplittableRandom(88172645463325252L);
            long delivered = 0;
            long start = 0;
            for (int phase = 0; phase < 2; phase++) { // phase 0: warm-up, a fifth of the time
                start = System.nanoTime();
                long deadline = start + TimeUnit.MILLISECONDS.toNanos(phase == 0 ? millis / 5 : millis);
                delivered = 0;
                while (System.nanoTime() < deadline) {
                    raise.clear();
                    for (int k = 0; k < batch; k++) {
                        int i = random.nextInt(n);
                        if (!pending[i]) {
                            raise.add(fds[i], VpollOp.ADD, Events.IN);
                            pending[i] = true;
                        }
                    }
                    path = check(raise.apply(), path);
                    int got;
                    while ((got = Epoll.wait(epfd, events, batch, 0)) > 0) {
                        clear.clear();
                        for (int k = 0; k < got; k++) {
                            int i = (int) Epoll.data(events, k);
                            clear.add(fds[i], VpollOp.DELETE, Events.IN);
                            pending[i] = false;
                        }
                        path = check(clear.apply(), path);
                        delivered += got;
                    }
                }
            }
            if (!record) {
                return;
            }
            boolean eventfd = backend == org.jvpoll.Backend.EVENTFD;
            emit("fanout-batch", eventfd ? (uring ? EVENTFD_BATCH : EVENTFD_BATCH_SEQUENTIAL)
                    : (uring ? Subjects.EMULATION : EMULATION_BATCH_SEQUENTIAL), n,
                    delivered / ((System.nanoTime() - start) / 1e9));
            lastBatchPath = path + ": " + lastDetail;
            System.err.println("bench: fanout-batch " + backend.id() + " N=" + n + " "
                    + (uring ? "io_uring allowed" : "forced sequential") + ": path " + lastBatchPath);
        } finally {
            for (VpollFd f : fds) {
                if (f != null) {
                    f.close();
                }
            }
            Unistd.closeQuietly(epfd);
        }
    }

    /**
     * OUT changes in batches: 64 emulated fds (OUT cleared once by ctl, which queues the filler),
     * then batches alternately raising and clearing OUT on all of them; ns per change, with
     * io_uring allowed (URING_CMD setsockopt) or forced off. {@code warm}: a JIT warm-up first.
     */
    void outBatch(long millis, boolean uring, boolean warm) throws IOException {
        VpollFd[] fds = new VpollFd[64];
        VpollBatch raise;
        VpollBatch clear;
        String before = System.getProperty("jvpoll.batch.uring");
        System.setProperty("jvpoll.batch.uring", Boolean.toString(uring));
        try {
            raise = VpollBatch.create(64);
            clear = VpollBatch.create(64);
        } finally {
            if (before == null) {
                System.clearProperty("jvpoll.batch.uring");
            } else {
                System.setProperty("jvpoll.batch.uring", before);
            }
        }
        try {
            for (int i = 0; i < fds.length; i++) {
                fds[i] = VpollFd.create(Events.OUT, VpollFd.Options.DEFAULT.backend(org.jvpoll.Backend.EMULATION));
                fds[i].ctl(VpollOp.DELETE, Events.OUT);
                raise.add(fds[i], VpollOp.ADD, Events.OUT);
                clear.add(fds[i], VpollOp.DELETE, Events.OUT);
            }
            BatchResult.Path path = null;
            long changes = 0;
            long start = 0;
            for (int phase = warm ? 0 : 1; phase < 2; phase++) {
                start = System.nanoTime();
                long deadline = start + TimeUnit.MILLISECONDS.toNanos(millis);
                changes = 0;
                while (System.nanoTime() < deadline) {
                    path = check(raise.apply(), path);
                    path = check(clear.apply(), path);
                    changes += 128;
                }
            }
            emit("batch-out", uring ? Subjects.EMULATION : EMULATION_BATCH_SEQUENTIAL, 64,
                    (System.nanoTime() - start) / (double) changes);
            System.err.println("bench: batch-out " + (uring ? "io_uring allowed" : "forced sequential") + ": path "
                    + path + ": " + lastDetail);
        } finally {
            for (VpollFd f : fds) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }

    /** The path of the last recorded batched fan-out, and the detail of its last non-empty batch. */
    String lastBatchPath;
    private String lastDetail;

    private BatchResult.Path check(BatchResult r, BatchResult.Path seen) throws IOException {
        if (r.failures() != 0) {
            for (int i = 0; i < r.size(); i++) {
                if (r.error(i) != null) {
                    throw new IOException("batched change " + i + " failed (" + r.pathDetail() + ")", r.error(i));
                }
            }
        }
        if (r.size() != 0) {
            lastDetail = r.pathDetail();
        }
        return r.size() == 0 ? seen : r.path();
    }

    /** cbench's creation: create n fds and register each with one epoll set; closing is not timed; the median batch. */
    void creation(String subject, int n, int reps, int warmups) throws IOException {
        Subjects.Handle holder = Subjects.open(subject); // first-use setup (listener, mount) is not per fd
        Subjects.Handle[] fds = new Subjects.Handle[n];
        double[] per = new double[reps];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            for (int rep = -warmups; rep < reps; rep++) {
                int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
                try {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        fds[i] = Subjects.open(subject);
                        Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), Events.IN, i, ev);
                    }
                    long t1 = System.nanoTime();
                    if (rep >= 0) {
                        per[rep] = (t1 - t0) / 1000.0 / n;
                    }
                } finally {
                    for (int i = 0; i < n; i++) {
                        if (fds[i] != null) {
                            fds[i].close();
                            fds[i] = null;
                        }
                    }
                    Unistd.closeQuietly(epfd);
                }
            }
        } finally {
            holder.close();
        }
        Arrays.sort(per);
        emit("create", subject, n, per[reps / 2]);
    }

    /** Heap (after full GCs) and descriptors held per fd, with n fds open. */
    void memory(String subject, int n) throws IOException {
        Subjects.Handle[] fds = new Subjects.Handle[n];
        Subjects.Handle warm = Subjects.open(subject); // first-use setup (listener, mount) is not per fd
        try {
            long heap0 = usedHeapAfterGc();
            long fd0 = openFds();
            for (int i = 0; i < n; i++) {
                fds[i] = Subjects.open(subject);
            }
            long fd1 = openFds();
            long heap1 = usedHeapAfterGc();
            emit("memory.heap", subject, n, (double) (heap1 - heap0) / n);
            emit("memory.fds", subject, n, (double) (fd1 - fd0) / n);
        } finally {
            for (Subjects.Handle h : fds) {
                if (h != null) {
                    h.close();
                }
            }
            warm.close();
        }
    }

    private static long usedHeapAfterGc() {
        var bean = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return bean.getHeapMemoryUsage().getUsed();
    }

    private static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
