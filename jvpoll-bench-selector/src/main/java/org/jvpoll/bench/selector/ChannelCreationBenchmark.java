package org.jvpoll.bench.selector;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jvpoll.VpollFd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Creating {@code channels} selectable channels and registering each with one Selector, in one
 * batch (one invocation): JDK pipes (the baseline) against vpoll channels. The time per channel
 * is the batch time divided by {@code channels}; equal per-channel times at 1,000 and 10,000 show
 * the cost is amortized O(1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4)
@Measurement(iterations = 8)
public class ChannelCreationBenchmark {

    @Param({"1000", "10000"})
    public int channels;

    private Selector selector;
    /** Existing vpoll fds, for {@link #vpollChannel()}: their creation is not measured. */
    private final List<VpollFd> existing = new ArrayList<>();
    /** Everything to close after the invocation. */
    private final List<AutoCloseable> opened = new ArrayList<>();

    @Setup(Level.Invocation)
    public void setUp(BenchmarkParams params) throws IOException {
        selector = Selector.open();
        if (params.getBenchmark().endsWith(".vpollChannel")) {
            for (int i = 0; i < channels; i++) {
                existing.add(VpollFd.create(0));
            }
        }
    }

    @TearDown(Level.Invocation)
    public void tearDown() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
        for (VpollFd v : existing) {
            v.close();
        }
        opened.clear();
        existing.clear();
        selector.close();
    }

    /** Baseline: Pipe.open(), source non-blocking, registered for OP_READ. */
    @Benchmark
    public Selector jdkPipe() throws IOException {
        for (int i = 0; i < channels; i++) {
            Pipe p = Pipe.open();
            opened.add(p.sink());
            opened.add(p.source());
            p.source().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }

    /** VpollFd.channel() on an existing vpoll fd, non-blocking, registered for OP_READ. */
    @Benchmark
    public Selector vpollChannel() throws IOException {
        for (VpollFd v : existing) {
            v.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }

    /** VpollFd.create(0) (best backend) plus the same channel registration. */
    @Benchmark
    public Selector vpollFdAndChannel() throws IOException {
        for (int i = 0; i < channels; i++) {
            VpollFd v = VpollFd.create(0);
            opened.add(v);
            v.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }
}
