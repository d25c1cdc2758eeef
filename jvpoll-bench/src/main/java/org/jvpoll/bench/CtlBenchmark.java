package org.jvpoll.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one change, as {@code cbench.c} measures it: each invocation makes one kind of
 * change on {@value #BATCH} fds; the state it starts from is prepared outside the timed region.
 * A raw eventfd write (raise) or read (clear) is the floor: one system call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CtlBenchmark {
    static final int BATCH = 64;

    @Param({Subjects.JAVA_EVENTFD, Subjects.EMULATION, Subjects.FUSE})
    public String subject;

    private Subjects.Handle[] fds;

    @Setup(Level.Trial)
    public void open() throws IOException {
        fds = new Subjects.Handle[BATCH];
        for (int i = 0; i < BATCH; i++) {
            fds[i] = Subjects.open(subject);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        for (Subjects.Handle h : fds) {
            h.close();
        }
    }

    /** Starting state for add and set: IN clear (the fds start so; each invocation ends so). */
    @State(Scope.Thread)
    public static class Cleared {
        @TearDown(Level.Invocation)
        public void clear(CtlBenchmark b) throws IOException {
            for (Subjects.Handle h : b.fds) {
                h.del();
            }
        }
    }

    /** Starting state for del and the no-change add: IN set. */
    @State(Scope.Thread)
    public static class Raised {
        @Setup(Level.Invocation)
        public void raise(CtlBenchmark b) throws IOException {
            for (Subjects.Handle h : b.fds) {
                h.add();
            }
        }

        @TearDown(Level.Invocation)
        public void clear(CtlBenchmark b) throws IOException {
            for (Subjects.Handle h : b.fds) {
                h.del();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void add(Cleared state) throws IOException {
        for (Subjects.Handle h : fds) {
            h.add();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void set(Cleared state) throws IOException {
        for (Subjects.Handle h : fds) {
            h.set();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void del(Raised state) throws IOException {
        for (Subjects.Handle h : fds) {
            h.del();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void noChange(Raised state) throws IOException {
        for (Subjects.Handle h : fds) {
            h.noChange();
        }
    }
}
