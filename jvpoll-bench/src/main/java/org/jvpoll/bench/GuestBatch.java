package org.jvpoll.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jvpoll.Backend;

/**
 * The batched eventfd fan-out of issue 15, run inside the EFD_VPOLL qemu guest by
 * {@code vm/eventfd-guest.sh}: per size, cbench's {@code c-eventfd} fan-out (one write and one
 * read per event) and the same fan-out on a plain eventfd from Java ({@code java-eventfd}: this
 * JVM's own one-call-per-event cost) next to jvpoll's eventfd fds with their changes in batches of 64, through
 * io_uring and on the forced one-call-per-change path, in alternating rounds. Prints one
 * {@code GUESTBATCH-RESULT} line per size (medians over rounds) for {@code vm/batchdocs.py}.
 *
 * <pre>
 *   GuestBatch --cbench PATH [--sizes 64,1000,9000] [--millis 500] [--rounds 3]
 * </pre>
 */
public final class GuestBatch {
    private GuestBatch() {}

    public static void main(String[] args) throws Exception {
        Path cbench = null;
        String sizes = "64,1000,9000";
        long millis = 500;
        int rounds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cbench" -> cbench = Path.of(BenchMain.value(args, ++i));
                case "--sizes" -> sizes = BenchMain.value(args, ++i);
                case "--millis" -> millis = Long.parseLong(BenchMain.value(args, ++i));
                case "--rounds" -> rounds = Integer.parseInt(BenchMain.value(args, ++i));
                default -> throw new IllegalArgumentException("argument \"" + args[i]
                        + "\": expected --cbench PATH, --sizes N,N, --millis MS or --rounds R");
            }
        }
        if (cbench == null) {
            throw new IllegalArgumentException("--cbench PATH is required");
        }
        if (!Backend.EVENTFD.isAvailable()) {
            throw new IllegalStateException("eventfd EFD_VPOLL not available: " + Backend.EVENTFD.availability());
        }
        int[] n = Arrays.stream(sizes.split(",")).mapToInt(Integer::parseInt).toArray();
        List<Result> results = new ArrayList<>();
        boolean[] recording = {false}; // the warm-up's java-eventfd fan-outs emit too: dropped
        Harness harness = new Harness(r -> {
            if (!recording[0]) {
                return;
            }
            results.add(r);
            System.err.println("  " + r.subject() + " N=" + r.param() + ": " + Svg.format(r.value()));
        }, true, cbench);
        String[] paths = new String[n.length];
        try (CBench c = new CBench(cbench)) {
            c.banner();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < n.length; k++) {
                    if (round == 0 && k == 0) {
                        // JIT warm-up of both batch paths, not recorded: under tcg the JIT takes
                        // seconds, and a short first window measured the compiler, not the path.
                        for (int w = 0; w < 3; w++) {
                            harness.fanout(Subjects.JAVA_EVENTFD, n[k], 2 * millis);
                            harness.fanoutBatch(Backend.EVENTFD, n[k], 2 * millis, true, false);
                            harness.fanoutBatch(Backend.EVENTFD, n[k], 2 * millis, false, false);
                        }
                    }
                    recording[0] = true;
                    for (String l : c.run("fanout " + Report.C_EVENTFD + " " + n[k] + " " + millis)) {
                        Result r = Result.parse(l);
                        if (r != null) {
                            results.add(r);
                        }
                    }
                    harness.fanout(Subjects.JAVA_EVENTFD, n[k], millis);
                    harness.fanoutBatch(Backend.EVENTFD, n[k], millis, true, true);
                    paths[k] = harness.lastBatchPath;
                    harness.fanoutBatch(Backend.EVENTFD, n[k], millis, false, true);
                }
            }
        }
        Map<Result.Key, Double> medians = Result.medians(results);
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        for (int k = 0; k < n.length; k++) {
            double c = medians.getOrDefault(new Result.Key("fanout", Report.C_EVENTFD, n[k]), Double.NaN);
            double b = medians.getOrDefault(new Result.Key("fanout-batch", Harness.EVENTFD_BATCH, n[k]), Double.NaN);
            double j = medians.getOrDefault(new Result.Key("fanout", Subjects.JAVA_EVENTFD, n[k]), Double.NaN);
            double s = medians.getOrDefault(new Result.Key("fanout-batch", Harness.EVENTFD_BATCH_SEQUENTIAL, n[k]),
                    Double.NaN);
            System.out.printf(Locale.ROOT, "GUESTBATCH-RESULT kernel=%s cpus=%d n=%d rounds=%d millis=%d c_eventfd=%.0f"
                    + " java_eventfd=%.0f batched=%.0f sequential=%.0f path='%s'%n", kernel, Runtime.getRuntime().availableProcessors(),
                    n[k], rounds, millis, c, j, b, s, paths[k] == null ? "?" : paths[k].replace('\'', '"'));
        }
    }
}
