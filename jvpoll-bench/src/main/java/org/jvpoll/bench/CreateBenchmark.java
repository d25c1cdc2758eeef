package org.jvpoll.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Events;
import org.jvpoll.syscall.Epoll;
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
 * Create {@code n} fds and register each with one epoll set, in one batch, as {@code cbench.c}
 * does; closing them is not timed. The FUSE subject keeps one extra fd open throughout so the
 * mount is held (creating the only fd mounts the file system, which is measured by
 * {@code bin/bench-fuse}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@Warmup(iterations = 30)
@Measurement(iterations = 15)
public class CreateBenchmark {
    @Param({Subjects.JAVA_EVENTFD, Subjects.EMULATION, Subjects.FUSE})
    public String subject;

    @Param({"1000"})
    public int n;

    private Subjects.Handle holder;
    private Subjects.Handle[] fds;
    private int epfd = -1;
    private final MemorySegment event = Arena.ofAuto().allocate(Epoll.EVENT_SIZE);

    @Setup(Level.Trial)
    public void hold() throws IOException {
        holder = Subjects.open(subject);
        fds = new Subjects.Handle[n];
    }

    @TearDown(Level.Trial)
    public void release() {
        holder.close();
    }

    @Setup(Level.Invocation)
    public void newEpoll() throws IOException {
        epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
    }

    @TearDown(Level.Invocation)
    public void closeAll() {
        for (int i = 0; i < n; i++) {
            if (fds[i] != null) {
                fds[i].close();
                fds[i] = null;
            }
        }
        Unistd.closeQuietly(epfd);
    }

    @Benchmark
    public Subjects.Handle[] createAndRegister() throws IOException {
        for (int i = 0; i < n; i++) {
            fds[i] = Subjects.open(subject);
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fds[i].fd(), Events.IN, i, event);
        }
        return fds;
    }
}
