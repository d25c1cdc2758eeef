package org.jvpoll.bench.selector;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.bench.EventFdFile;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Wakeup round trip through one Selector: the benchmark thread triggers, a selector thread
 * blocked in {@code select()} wakes, consumes the event, and acknowledges; the benchmark thread
 * spins until the acknowledgement. Baseline: {@code Selector.wakeup()} (nothing to consume).
 *
 * <ul>
 * <li>{@code selectorWakeup}: Selector.wakeup() — the JDK's own wakeup (an eventfd write).</li>
 * <li>{@code vpollEvent}: VpollFd.add(IN) on the best backend; consumed by delete(IN).</li>
 * <li>{@code jdkPipe}: one byte into a JDK pipe; consumed by reading it.</li>
 * <li>{@code eventFdStandIn}: an eventfd write through jvpoll's channel path, the system call a
 *     kernel backend (EFD_VPOLL eventfd) makes; consumed by reading it.</li>
 * <li>{@code vpollCtlOnly}: add(IN) then delete(IN) on an unregistered vpoll fd: the part of
 *     {@code vpollEvent} that is the backend's own cost.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WakeupLatencyBenchmark {

    private Selector selector;
    private VpollFd vpoll;
    private VpollFd unregistered;
    private Pipe pipe;
    private EventFdFile eventFd;
    private SelectableVpoll eventFdChannel;
    private final MemorySegment u64 = Arena.global().allocate(8);
    private final MemorySegment loopU64 = Arena.global().allocate(8);
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private Thread loop;
    private volatile boolean running;
    /** Selector-thread acknowledgements: one per return from select(). */
    private volatile long acks;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        selector = Selector.open();
        vpoll = VpollFd.create(0);
        unregistered = VpollFd.create(0);
        pipe = Pipe.open();
        eventFd = new EventFdFile();
        eventFdChannel = SelectableVpoll.open(eventFd);
        SelectionKey vKey = vpoll.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        SelectionKey pKey = pipe.source().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        SelectionKey eKey = eventFdChannel.channel().configureBlocking(false).register(selector, SelectionKey.OP_READ);
        u64.set(ValueLayout.JAVA_LONG, 0, 1);
        running = true;
        loop = new Thread(() -> {
            ByteBuffer sink = ByteBuffer.allocateDirect(64);
            try {
                while (running) {
                    selector.select();
                    for (SelectionKey k : selector.selectedKeys()) {
                        if (k == vKey) {
                            vpoll.delete(Events.IN);
                        } else if (k == pKey) {
                            sink.clear();
                            pipe.source().read(sink);
                        } else if (k == eKey) {
                            Unistd.read(eventFd.fd(), loopU64, 8, "read(eventfd)");
                        }
                    }
                    selector.selectedKeys().clear();
                    acks = acks + 1; // single writer
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, "selector-loop");
        loop.setDaemon(true);
        loop.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        running = false;
        selector.wakeup();
        loop.join(5000);
        vpoll.close();
        unregistered.close();
        pipe.sink().close();
        pipe.source().close();
        eventFdChannel.close();
        selector.close();
    }

    private long awaitAck(long before) {
        long a;
        while ((a = acks) == before) {
            Thread.onSpinWait();
        }
        return a;
    }

    @Benchmark
    public long selectorWakeup() {
        long before = acks;
        selector.wakeup();
        return awaitAck(before);
    }

    @Benchmark
    public long vpollEvent() throws IOException {
        long before = acks;
        vpoll.add(Events.IN);
        return awaitAck(before);
    }

    @Benchmark
    public long jdkPipe() throws IOException {
        long before = acks;
        one.clear();
        pipe.sink().write(one);
        return awaitAck(before);
    }

    @Benchmark
    public long eventFdStandIn() throws IOException {
        long before = acks;
        Unistd.write(eventFd.fd(), u64, 8, "write(eventfd)");
        return awaitAck(before);
    }

    @Benchmark
    public int vpollCtlOnly() throws IOException {
        unregistered.add(Events.IN);
        return unregistered.delete(Events.IN);
    }
}
