package org.jvpoll.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Skip;
import org.jvpoll.wait.EpollSet;
import org.jvpoll.wait.ReadyEvents;

/**
 * No port or listener ceiling: {@code jvpoll.manyfds.count} (default 100,000) emulated vpoll fds in
 * one process, all registered with one epoll set (edge-triggered); a fan-out raises IN on every one,
 * epoll_wait must collect every one, IN is cleared on every one; then all are closed. Prints
 * {@code MANYFDS-PROGRESS} lines and one {@code MANYFDS-RESULT} line (vm/benchdocs.py turns it into
 * docs/benchmarks.md). Runs in the qemu guests (vm/eventfd-guest.sh), where the open-file limit is
 * raised to 400,000; elsewhere, or below 2 descriptors per fd plus slack, it skips saying why. If
 * creation stops early, the test still fans out over and closes what it got, reports how far it
 * got and the error, and fails.
 */
class ManyEmulatedFdsTest {
    static final String COUNT_PROPERTY = "jvpoll.manyfds.count";
    /** Seconds the creation phase may take (the guests run under software emulation, and CI waits). */
    static final String BUDGET_PROPERTY = "jvpoll.manyfds.seconds";
    /** Descriptors the JVM, the epoll set and the backend's own hold besides 2 per emulated fd. */
    static final long SLACK = 1_000;

    @Test
    void oneHundredThousandEmulatedFdsInOneEpollSet() throws IOException {
        int count = Integer.getInteger(COUNT_PROPERTY, 100_000);
        if (BackendSelection.required() == null && System.getProperty(COUNT_PROPERTY) == null) {
            skip("not in a jvpoll qemu guest (-D" + BackendSelection.REQUIRED + ") and no -D" + COUNT_PROPERTY);
        }
        long limit = openFileLimit();
        long needed = 2L * count + SLACK;
        if (limit < needed) {
            skip("open-file limit " + limit + " < " + needed + " (2 per emulated fd + " + SLACK
                    + "); the qemu guests run with ulimit -n 400000");
        }
        String kernel = System.getProperty("os.version");
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(Backend.EMULATION);
        List<VpollFd> fds = new ArrayList<>(count);
        String stopped = null;
        long createNanos;
        long fanoutNanos = 0;
        long collected = 0;
        long closeNanos;
        try (EpollSet<Void> epoll = EpollSet.open(4096)) {
            long t0 = System.nanoTime();
            long budget = Duration.ofSeconds(Long.getLong(BUDGET_PROPERTY, 420)).toNanos();
            try {
                while (fds.size() < count) {
                    if (System.nanoTime() - t0 > budget) {
                        stopped = "creation time budget of " + Long.getLong(BUDGET_PROPERTY, 420) + " s (-D"
                                + BUDGET_PROPERTY + ") used up";
                        System.out.println("MANYFDS-STOPPED created=" + fds.size() + " of " + count + ": " + stopped);
                        break;
                    }
                    VpollFd vfd = VpollFd.create(0, options);
                    fds.add(vfd);
                    epoll.add(vfd, Events.IN | EpollSet.ET, null);
                    if (fds.size() % 10_000 == 0) {
                        System.out.printf(Locale.ROOT, "MANYFDS-PROGRESS created=%d seconds=%.1f%n", fds.size(),
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
            } catch (IOException | RuntimeException e) {
                stopped = describe(e);
                System.out.println("MANYFDS-STOPPED created=" + fds.size() + " of " + count + ": " + stopped);
            }
            if (stopped != null) {
                diagnose();
            }
            createNanos = System.nanoTime() - t0;
            int created = fds.size();

            if (created > 0) {
                long t1 = System.nanoTime();
                for (VpollFd vfd : fds) {
                    vfd.add(Events.IN);
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (collected < created && System.nanoTime() < deadline) {
                    ReadyEvents<Void> ready = epoll.await(Duration.ofSeconds(10));
                    for (int i = 0; i < ready.count(); i++) {
                        if ((ready.events(i) & Events.IN) != 0) {
                            collected++;
                        }
                    }
                }
                for (VpollFd vfd : fds) {
                    vfd.delete(Events.IN);
                }
                fanoutNanos = System.nanoTime() - t1;
            }

            long t2 = System.nanoTime();
            for (VpollFd vfd : fds) {
                vfd.close();
            }
            closeNanos = System.nanoTime() - t2;
            System.out.printf(Locale.ROOT, "MANYFDS-RESULT kernel=%s fds=%d created=%d create_us=%.1f collected=%d "
                            + "fanout_evps=%.0f fanout_s=%.2f close_us=%.1f cpus=%d stopped=%s%n",
                    kernel, count, created, created == 0 ? 0 : createNanos / 1e3 / created, collected,
                    fanoutNanos == 0 ? 0 : collected / (fanoutNanos / 1e9), fanoutNanos / 1e9,
                    created == 0 ? 0 : closeNanos / 1e3 / created, Runtime.getRuntime().availableProcessors(),
                    stopped == null ? "no" : "\"" + stopped.replace('"', '\'') + "\"");
        }
        if (stopped != null) {
            fail("created " + fds.size() + " of " + count + " emulated fds, then: " + stopped);
        }
        assertEquals(count, collected, "epoll_wait collected IN from every fd of the fan-out");
    }

    /** Prints what the kernel says about sockets and memory when creation stopped (MANYFDS-DIAG lines). */
    private static void diagnose() {
        for (String f : List.of("/proc/net/sockstat", "/proc/sys/net/ipv4/tcp_mem", "/proc/sys/net/ipv4/ip_local_port_range",
                "/proc/sys/fs/file-nr")) {
            try {
                for (String line : Files.readAllLines(Path.of(f))) {
                    System.out.println("MANYFDS-DIAG " + f + ": " + line);
                }
            } catch (IOException | RuntimeException e) {
                System.out.println("MANYFDS-DIAG " + f + ": " + e);
            }
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemFree") || line.startsWith("MemAvailable") || line.startsWith("Slab")) {
                    System.out.println("MANYFDS-DIAG /proc/meminfo: " + line);
                }
            }
        } catch (IOException e) {
            System.out.println("MANYFDS-DIAG /proc/meminfo: " + e);
        }
    }

    private static String describe(Throwable e) {
        if (e instanceof VpollException v) {
            return v.getMessage() + " [errno " + v.errno() + "]";
        }
        return e.toString();
    }

    private static void skip(String why) {
        throw Skip.because("ManyEmulatedFdsTest: " + why);
    }

    /** @return the soft RLIMIT_NOFILE of this process (from /proc/self/limits), or Long.MAX_VALUE if unlimited */
    static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return 0;
    }
}
