package org.jvpoll.bench.selector;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Backend;
import org.jvpoll.VpollOp;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.channel.SelectableVpoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
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

/**
 * Creating {@code channels} selectable channels and registering each with one Selector, in one
 * batch (one invocation). The time per channel is the batch time divided by {@code channels};
 * equal per-channel times at 1,000 and 10,000 show the cost is amortized O(1).
 *
 * <ul>
 * <li>{@code jdkPipe} (baseline): {@code channels / 2} JDK pipes, both ends registered (source
 *     OP_READ, sink OP_WRITE): {@code channels} Pipe channels on {@code channels} descriptors.</li>
 * <li>{@code vpollChannelPath}: jvpoll's channel path alone — JDK-owned descriptor, guess and
 *     verification, dup3, {@code readWriteSelectableChannel}, register — applied
 *     {@code channels} times to one eventfd (the descriptor type of the eventfd backend), so
 *     10,000 live channels fit in 10,000 descriptors.</li>
 * </ul>
 * A full emulated vpoll fd with a channel holds three descriptors (two loopback sockets and the
 * JDK's); {@link EmulatedChannelCreationBenchmark} measures those at sizes that fit the open-file
 * limit of the machines here (20,000, which even root cannot raise in this sandbox).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4)
@Measurement(iterations = 8)
public class ChannelCreationBenchmark {

    /** One descriptor adopted many times; closing a channel releases only its JDK descriptor. */
    static final class SharedFd extends VpollFile {
        SharedFd(int fd) {
            super(fd);
        }

        @Override
        public Backend backend() {
            return Backend.EVENTFD;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) {
            throw new UnsupportedOperationException("not used by the benchmark");
        }

        @Override
        protected int doEvents(int fd) throws IOException {
            return Poll.currentEvents(fd);
        }

        @Override
        protected void releaseDescriptors(int fd) {
            // shared: the benchmark closes the eventfd itself
        }
    }

    @Param({"1000", "10000"})
    public int channels;

    private Selector selector;
    private int eventFd = -1;
    /** Everything to close after the invocation. */
    private final List<AutoCloseable> opened = new ArrayList<>();

    @Setup(Level.Invocation)
    public void setUp() throws IOException {
        selector = Selector.open();
        eventFd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
    }

    @TearDown(Level.Invocation)
    public void tearDown() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
        opened.clear();
        selector.close();
        Unistd.close(eventFd);
    }

    @Benchmark
    public Selector jdkPipe() throws IOException {
        for (int i = 0; i < channels / 2; i++) {
            Pipe p = Pipe.open();
            opened.add(p.sink());
            opened.add(p.source());
            p.source().configureBlocking(false).register(selector, SelectionKey.OP_READ);
            p.sink().configureBlocking(false).register(selector, SelectionKey.OP_WRITE);
        }
        return selector;
    }

    @Benchmark
    public Selector vpollChannelPath() throws IOException {
        for (int i = 0; i < channels; i++) {
            SelectableVpoll sv = SelectableVpoll.open(new SharedFd(eventFd));
            opened.add(sv::close);
            sv.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        }
        return selector;
    }
}
