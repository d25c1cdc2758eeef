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
 * The cost of one change under JMH, a cross-check of the harness's figures: each invocation makes
 * self-restoring pairs of changes on {@value #BATCH} fds (no per-invocation fixtures), or one
 * change that changes nothing. A raw eventfd write (raise) or read (clear) is the floor: one
 * system call.
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

    /** fds with IN set for the whole trial, for the change that changes nothing. */
    private Subjects.Handle[] raised;

    @Setup(Level.Trial)
    public void openRaised() throws IOException {
        raised = new Subjects.Handle[BATCH];
        for (int i = 0; i < BATCH; i++) {
            raised[i] = Subjects.open(subject);
            raised[i].add();
        }
    }

    @TearDown(Level.Trial)
    public void closeRaised() {
        for (Subjects.Handle h : raised) {
            h.close();
        }
    }

    /** Raise IN, then clear it, on each fd: two changes per fd, the state restored. */
    @Benchmark
    @OperationsPerInvocation(2 * BATCH)
    public void addThenDel() throws IOException {
        for (Subjects.Handle h : fds) {
            h.add();
            h.del();
        }
    }

    /** SET the mask to IN, then clear IN, on each fd: two changes per fd, the state restored. */
    @Benchmark
    @OperationsPerInvocation(2 * BATCH)
    public void setThenDel() throws IOException {
        for (Subjects.Handle h : fds) {
            h.set();
            h.del();
        }
    }

    /** ADD IN while IN is set (an eventfd write that only raises the counter). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void noChange() throws IOException {
        for (Subjects.Handle h : raised) {
            h.noChange();
        }
    }
}
