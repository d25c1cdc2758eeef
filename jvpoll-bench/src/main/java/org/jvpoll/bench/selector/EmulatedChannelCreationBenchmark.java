package org.jvpoll.bench.selector;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Events;
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
 * Whole vpoll fds with channels, on the best backend here (three descriptors each on the
 * emulation, so at most 5,000 within a 20,000 open-file limit): {@code vpollChannel} registers
 * channels of existing vpoll fds, {@code vpollFdAndChannel} also creates the fds. The fds start
 * with OUT pending: an emulated fd with OUT clear holds ~4 KiB of unsent data in the kernel, and
 * thousands of those exhaust the loopback TCP memory (the emulation's confirm then times out).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3)
@Measurement(iterations = 6)
public class EmulatedChannelCreationBenchmark {

    @Param({"1000", "5000"})
    public int channels;

    private Selector selector;
    private final List<VpollFd> fds = new ArrayList<>();

    @Setup(Level.Invocation)
    public void setUp(BenchmarkParams params) throws IOException {
        selector = Selector.open();
        if (params.getBenchmark().endsWith(".vpollChannel")) {
            for (int i = 0; i < channels; i++) {
                fds.add(VpollFd.create(Events.OUT));
            }
        }
    }

    @TearDown(Level.Invocation)
    public void tearDown() throws IOException {
        for (VpollFd v : fds) {
            v.close();
        }
        fds.clear();
        selector.close();
    }

    /** VpollFd.channel() on existing vpoll fds, non-blocking, registered for OP_READ. */
    @Benchmark
    public Selector vpollChannel() throws IOException {
        for (VpollFd v : fds) {
            v.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }

    /** VpollFd.create(Events.OUT) plus the same channel registration. */
    @Benchmark
    public Selector vpollFdAndChannel() throws IOException {
        for (int i = 0; i < channels; i++) {
            VpollFd v = VpollFd.create(Events.OUT);
            fds.add(v);
            v.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }
}
