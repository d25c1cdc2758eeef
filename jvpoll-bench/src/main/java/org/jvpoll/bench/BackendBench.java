package org.jvpoll.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.backend.KernelIo;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;

/**
 * {@code bin/bench-fuse}: the cost of a change and the cross-thread wake-up latency of each
 * available backend, next to an eventfd measured in the same run (eventfd is the cheapest kernel
 * object whose readiness a write sets and a read clears, and the patched kernel's EFD_VPOLL has
 * the same cost).
 *
 * <ul>
 * <li><b>change</b>: mean time of one ADD IN or DEL IN (eventfd: one write or one read), with
 *     nobody waiting; and again while another thread is blocked in epoll_wait for PRI, which
 *     the changes never raise (a vpoll module or eventfd filters such wake-ups by event; FUSE
 *     wakes every waiter, which then polls again).</li>
 * <li><b>wake-up</b>: a thread blocks in epoll_wait (or poll) for IN; another records the time and
 *     adds IN; the waiter records the time it returns, clears IN and hands back. Median and 99th
 *     percentile of the difference.</li>
 * </ul>
 */
public final class BackendBench {
    private BackendBench() {}

    interface Subject extends AutoCloseable {
        String name();

        int fd();

        void set() throws IOException;

        void clear() throws IOException;

        @Override
        void close();
    }

    static final class EventFdSubject implements Subject {
        private final int fd;

        EventFdSubject() throws IOException {
            fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        }

        public String name() {
            return "eventfd (baseline)";
        }

        public int fd() {
            return fd;
        }

        public void set() throws IOException {
            KernelIo.SYSTEM.writeU64(fd, 1, "write(eventfd)");
        }

        public void clear() throws IOException {
            KernelIo.SYSTEM.readU64(fd, "read(eventfd)");
        }

        public void close() {
            Unistd.closeQuietly(fd);
        }
    }

    static final class VpollSubject implements Subject {
        private final VpollFd vfd;
        private final String name;

        VpollSubject(Backend backend, String name) throws IOException {
            this.vfd = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(backend));
            this.name = name;
        }

        public String name() {
            return name;
        }

        public int fd() {
            return vfd.fd();
        }

        public void set() throws IOException {
            vfd.add(Events.IN);
        }

        public void clear() throws IOException {
            vfd.delete(Events.IN);
        }

        public void close() {
            vfd.close();
        }
    }

    record Result(String name, double changeNs, double changeWithWaiterNs, double[] epollUs, double[] pollUs) {}

    /** One subject of the comparison: how to make a fresh one for a round. */
    record Case(String name, String ctl, String spin, Backend backend) {
        Subject open() throws IOException {
            if (backend == null) {
                return new EventFdSubject();
            }
            if (ctl != null) {
                System.setProperty(ProcessMount.CTL_PROPERTY, ctl);
                System.setProperty(ProcessMount.SPIN_PROPERTY, spin);
            }
            return new VpollSubject(backend, name);
        }
    }

    /** bin/bench-fuse: prints the Markdown table; exit status 2 on a bad argument. */
    public static void main(String[] args) throws IOException, InterruptedException {
        try {
            System.exit(run(args, System.out));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("bench: " + option + " needs a value");
        }
        return args[i];
    }

    static int run(String[] args, PrintStream out) throws IOException, InterruptedException {
        long millis = 300;
        int wakeups = 1000;
        int rounds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--millis" -> millis = Long.parseLong(value(args, ++i, "--millis"));
                case "--wakeups" -> wakeups = Integer.parseInt(value(args, ++i, "--wakeups"));
                case "--rounds" -> rounds = Integer.parseInt(value(args, ++i, "--rounds"));
                default -> throw new IllegalArgumentException("bench: unknown option " + args[i]);
            }
        }
        if (millis < 10 || wakeups < 100 || rounds < 1) {
            throw new IllegalArgumentException("bench: need --millis >= 10, --wakeups >= 100, --rounds >= 1");
        }
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("eventfd (baseline)", null, null, null));
        if (Backend.FUSE.isAvailable()) {
            // Each subject closes its fd, which unmounts, so the next one mounts with its own settings.
            cases.add(new Case("fuse", "direct", "0", Backend.FUSE));
            cases.add(new Case("fuse, responder spinning 50 µs", "direct", "50", Backend.FUSE));
            cases.add(new Case("fuse, ioctl per change (the dev-vpoll path)", "ioctl", "0", Backend.FUSE));
            cases.add(new Case("fuse, ioctl per change, responder spinning 50 µs", "ioctl", "50", Backend.FUSE));
        } else {
            out.println("(fuse not measured: " + Backend.FUSE.availability() + ")");
        }
        for (Backend b : new Backend[] {Backend.EVENTFD, Backend.DEV_VPOLL, Backend.EMULATION}) {
            if (b.isAvailable()) {
                String label = b == Backend.DEV_VPOLL && System.getProperty("jvpoll.bench.devVpollLabel") != null
                        ? "dev-vpoll → `jvpoll serve` in another process" : b.id();
                cases.add(new Case(label, null, null, b));
            }
        }
        // Rounds interleave the subjects, so load from elsewhere on the machine hits all of them;
        // each figure is the median over rounds, each ratio the median of per-round ratios.
        String loadBefore = loadAverage();
        Result[][] r = new Result[rounds][cases.size()];
        String mode = System.getProperty(ProcessMount.CTL_PROPERTY);
        String spin = System.getProperty(ProcessMount.SPIN_PROPERTY);
        try {
            for (int round = 0; round < rounds; round++) {
                for (int c = 0; c < cases.size(); c++) {
                    r[round][c] = measure(cases.get(c).open(), millis, wakeups);
                }
            }
        } finally {
            restore(ProcessMount.CTL_PROPERTY, mode);
            restore(ProcessMount.SPIN_PROPERTY, spin);
        }
        out.print(markdown(cases, r, millis, wakeups));
        if (Backend.FUSE.isAvailable()) {
            out.print(lifecycle(rounds));
        }
        out.printf("%nLoad average (1, 5, 15 min) before: %s, after: %s (other work on the machine shifts absolute"
                + " figures; the ratios compare subjects measured side by side).%n", loadBefore, loadAverage());
        return 0;
    }

    /** Creation costs of the fuse backend: with a mount and unmount each time, and with the mount held. */
    static String lifecycle(int rounds) throws IOException {
        VpollFd.Options fuse = VpollFd.Options.DEFAULT.backend(Backend.FUSE);
        double[] churn = new double[rounds];
        double[] held = new double[rounds];
        double[] eventfd = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                VpollFd.create(0, fuse).close();
            }
            churn[round] = (System.nanoTime() - t0) / 20e3;
            VpollFd keep = VpollFd.create(0, fuse); // holds the mount
            try {
                t0 = System.nanoTime();
                for (int i = 0; i < 200; i++) {
                    VpollFd.create(0, fuse).close();
                }
                held[round] = (System.nanoTime() - t0) / 200e3;
            } finally {
                keep.close();
            }
            t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                new EventFdSubject().close();
            }
            eventfd[round] = (System.nanoTime() - t0) / 200e3;
        }
        return String.format(Locale.ROOT, "%n| fuse backend: create + close | time (median of %d rounds) |%n|---|---|%n"
                + "| the only fd: mount, INIT, open, close, unmount each time | %.0f µs |%n"
                + "| while another FUSE fd holds the mount: open, instance ioctl, close | %.1f µs |%n"
                + "| eventfd create + close, for scale | %.1f µs |%n",
                rounds, median(churn), median(held), median(eventfd));
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    interface Metric {
        double of(Result r);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** @return the median over rounds of case {@code c}'s metric, or of its ratio to case 0 */
    static double agg(Result[][] r, int c, Metric m, boolean ratio) {
        double[] v = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            v[i] = ratio ? m.of(r[i][c]) / m.of(r[i][0]) : m.of(r[i][c]);
        }
        return median(v);
    }

    static String markdown(List<Case> cases, Result[][] r, long millis, int wakeups) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Measured by `bin/bench-fuse` (%d rounds; per round and subject %d ms per change case"
                + " and %d wake-ups per waiter kind; medians over rounds) on Linux %s, %d CPUs, JDK %s.%n%n",
                r.length, millis, wakeups, System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.version()));
        sb.append("| subject | one change | x eventfd | one change, a PRI waiter blocked | x eventfd "
                + "| epoll wake-up median / p99 | x eventfd (median) | poll wake-up median / p99 | x eventfd (median) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (int c = 0; c < cases.size(); c++) {
            sb.append(String.format(Locale.ROOT, "| %s | %.0f ns | %.2f | %.0f ns | %.2f | %.1f / %.1f µs | %.2f | %.1f / %.1f µs | %.2f |%n",
                    cases.get(c).name(),
                    agg(r, c, Result::changeNs, false), agg(r, c, Result::changeNs, true),
                    agg(r, c, Result::changeWithWaiterNs, false), agg(r, c, Result::changeWithWaiterNs, true),
                    agg(r, c, x -> x.epollUs()[0], false), agg(r, c, x -> x.epollUs()[1], false),
                    agg(r, c, x -> x.epollUs()[0], true),
                    agg(r, c, x -> x.pollUs()[0], false), agg(r, c, x -> x.pollUs()[1], false),
                    agg(r, c, x -> x.pollUs()[0], true)));
        }
        return sb.toString();
    }

    static Result measure(Subject s, long millis, int wakeups) throws IOException, InterruptedException {
        try (s) {
            changeCost(s, millis / 2); // warm up
            double change = changeCost(s, millis);
            double withWaiter = withBlockedWaiter(s, () -> changeCost(s, millis));
            wakeLatency(s, wakeups / 4, true); // warm up
            double[] epoll = wakeLatency(s, wakeups, true);
            double[] poll = wakeLatency(s, wakeups, false);
            return new Result(s.name(), change, withWaiter, epoll, poll);
        }
    }

    /** @return mean ns per change (set and clear alternate) over about {@code millis} */
    static double changeCost(Subject s, long millis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long ops = 0;
        long t0 = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 64; i++) {
                s.set();
                s.clear();
            }
            ops += 128;
            now = System.nanoTime();
        } while (now < deadline);
        return (double) (now - t0) / ops;
    }

    interface Measurement {
        double run() throws IOException;
    }

    /** Runs {@code m} while another thread waits in epoll_wait for PRI on the subject. */
    static double withBlockedWaiter(Subject s, Measurement m) throws IOException, InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, s.fd(), Events.PRI, 0, ev);
            Thread waiter = Thread.ofPlatform().start(() -> {
                MemorySegment out = arena.allocate(Epoll.EVENT_SIZE);
                try {
                    while (!stop.get()) {
                        Epoll.wait(epfd, out, 1, 50);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            Thread.sleep(20);
            try {
                return m.run();
            } finally {
                stop.set(true);
                waiter.join();
                if (failure.get() != null) {
                    throw new IOException("the waiter failed", failure.get());
                }
            }
        } finally {
            Unistd.closeQuietly(epfd);
        }
    }

    /** @return {median, p99} in µs of set-to-wake-up, the waiter blocked in epoll_wait or poll */
    static double[] wakeLatency(Subject s, int n, boolean epoll) throws IOException, InterruptedException {
        long[] lat = new long[n];
        AtomicLong t0 = new AtomicLong();
        Semaphore ack = new Semaphore(0);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, s.fd(), Events.IN, 0, ev);
            Thread waiter = Thread.ofPlatform().start(() -> {
                MemorySegment out = arena.allocate(Epoll.EVENT_SIZE);
                try {
                    for (int i = 0; i < n; i++) {
                        int got = epoll ? Epoll.wait(epfd, out, 1, 10_000) : Poll.pollOne(s.fd(), Events.IN, 10_000);
                        long t1 = System.nanoTime();
                        if (got <= 0) {
                            throw new IOException("no wake-up within 10 s (" + got + ")");
                        }
                        lat[i] = t1 - t0.get();
                        s.clear();
                        ack.release();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                    ack.release(n);
                }
            });
            for (int i = 0; i < n && failure.get() == null; i++) {
                long spinUntil = System.nanoTime() + 150_000; // let the waiter block again
                while (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                t0.set(System.nanoTime());
                s.set();
                if (!ack.tryAcquire(20, TimeUnit.SECONDS)) {
                    throw new IOException("the waiter did not acknowledge wake-up " + i);
                }
            }
            waiter.join();
            if (failure.get() != null) {
                throw new IOException(s.name() + ": the waiter failed", failure.get());
            }
        } finally {
            Unistd.closeQuietly(epfd);
        }
        Arrays.sort(lat);
        return new double[] {lat[n / 2] / 1000.0, lat[(int) (n * 0.99)] / 1000.0};
    }
}
