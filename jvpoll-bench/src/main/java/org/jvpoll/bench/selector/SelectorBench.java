package org.jvpoll.bench.selector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.jvpoll.Backend;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs both selector benchmarks in one JMH run and prints (and writes) the ratios against the
 * baselines measured in that same run.
 *
 * <pre>
 *   bin/bench-selector            full run (about 5 minutes on 2 cores)
 *   bin/bench-selector --quick    smoke run: 1,000 channels, short iterations (well under 2 minutes)
 * </pre>
 */
public final class SelectorBench {
    private SelectorBench() {}

    public static void main(String[] args) throws RunnerException, IOException {
        boolean quick = false;
        Path out = Path.of("jvpoll-bench", "target", "selector-bench.md");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("argument \"" + args[i]
                        + "\": expected --quick or --out FILE");
            }
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(ChannelCreationBenchmark.class.getName())
                .include(EmulatedChannelCreationBenchmark.class.getName())
                .include(WakeupLatencyBenchmark.class.getName())
                .shouldFailOnError(true);
        if (quick) {
            options.param("channels", "1000")
                   .warmupIterations(1).measurementIterations(2)
                   .warmupTime(TimeValue.milliseconds(300)).measurementTime(TimeValue.milliseconds(500));
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        String summary = summary(results, quick);
        System.out.println();
        System.out.println(summary);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, summary);
        System.out.println("written to " + out);
    }

    static String summary(Collection<RunResult> results, boolean quick) {
        Map<String, RunResult> byKey = new HashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            String channels = r.getParams().getParamsKeys().contains("channels") ? r.getParams().getParam("channels") : "";
            byKey.put(method + "/" + channels, r);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("Run: ").append(quick ? "bin/bench-selector --quick (smoke: short, noisy)" : "bin/bench-selector")
          .append("; JDK ").append(Runtime.version()).append(", Linux ").append(System.getProperty("os.version"))
          .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, vpoll backend ")
          .append(Backend.preferred().id()).append(".\n\n");

        sb.append("Create and register N channels in one Selector, time per channel:\n\n");
        sb.append("| N | JDK Pipe channels (baseline) | jvpoll channel path (eventfd) | ratio |\n");
        sb.append("|---|---|---|---|\n");
        for (String n : new String[] {"1000", "10000"}) {
            RunResult pipe = byKey.get("jdkPipe/" + n);
            RunResult path = byKey.get("vpollChannelPath/" + n);
            if (pipe == null || path == null) {
                continue;
            }
            double base = perChannelMicros(pipe, n);
            double ours = perChannelMicros(path, n);
            sb.append(String.format(Locale.ROOT, "| %s | %.2f µs | %.2f µs | %.2f |%n", n, base, ours, ours / base));
        }
        RunResult pipe1k = byKey.get("jdkPipe/1000");
        sb.append("\nWhole vpoll fds (backend ").append(Backend.preferred().id())
          .append("), time per channel; ratio against JDK Pipe channels at N = 1000:\n\n");
        sb.append("| N | VpollFd.channel() on existing fds | ratio | VpollFd.create + channel() | ratio |\n");
        sb.append("|---|---|---|---|---|\n");
        for (String n : new String[] {"1000", "5000"}) {
            RunResult existing = byKey.get("vpollChannel/" + n);
            RunResult full = byKey.get("vpollFdAndChannel/" + n);
            if (existing == null || full == null || pipe1k == null) {
                continue;
            }
            double base = perChannelMicros(pipe1k, "1000");
            double e = perChannelMicros(existing, n);
            double f = perChannelMicros(full, n);
            sb.append(String.format(Locale.ROOT, "| %s | %.2f µs | %.2f | %.2f µs | %.2f |%n", n, e, e / base, f, f / base));
        }

        sb.append("\nWakeup round trip through a Selector (trigger, select() returns, event consumed, ack):\n\n");
        sb.append("| trigger | mean | p50 | p99 | mean / Selector.wakeup() |\n");
        sb.append("|---|---|---|---|---|\n");
        RunResult wake = byKey.get("selectorWakeup/");
        double base = wake.getPrimaryResult().getScore();
        for (String m : new String[] {"selectorWakeup", "vpollEvent", "jdkPipe", "eventFdStandIn", "vpollCtlOnly"}) {
            RunResult r = byKey.get(m + "/");
            var stats = r.getPrimaryResult().getStatistics();
            sb.append(String.format(Locale.ROOT, "| %s | %.2f µs | %.2f µs | %.2f µs | %.2f |%n", label(m),
                    stats.getMean(), stats.getPercentile(50), stats.getPercentile(99), stats.getMean() / base));
        }
        return sb.toString();
    }

    static String label(String method) {
        return switch (method) {
            case "selectorWakeup" -> "Selector.wakeup() (baseline)";
            case "vpollEvent" -> "VpollFd.add(IN), consumed by delete(IN)";
            case "jdkPipe" -> "1 byte into a JDK Pipe, consumed by read";
            case "eventFdStandIn" -> "eventfd write via jvpoll's channel path (kernel-backend stand-in)";
            case "vpollCtlOnly" -> "add(IN) + delete(IN), no selector (backend cost alone)";
            default -> method;
        };
    }

    static double perChannelMicros(RunResult r, String n) {
        return r.getPrimaryResult().getScore() * 1000.0 / Integer.parseInt(n); // score is ms per batch
    }
}
