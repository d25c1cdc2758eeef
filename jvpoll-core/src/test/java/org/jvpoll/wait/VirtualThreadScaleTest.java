package org.jvpoll.wait;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.park.Poller;
import org.jvpoll.testing.ChildProcess;

/**
 * The proof, in a JVM with one carrier ({@code jdk.virtualThreadScheduler.parallelism=1}):
 * 5,000 virtual threads each await IN on its own vpoll fd; once all of them are parked (each
 * holds a poller registration — a pinned carrier would stop at the first), another virtual thread
 * still runs, then another thread raises IN on every fd and all 5,000 complete. A JFR recording
 * of {@code jdk.VirtualThreadPinned} (threshold 0) over the run has no event, while the same
 * recording over a control that does pin (a virtual thread parking inside an FFM upcall from
 * qsort) has one, so the detector is shown to work.
 */
class VirtualThreadScaleTest {
    static final int N = 5000;

    @Test
    void fiveThousandVirtualThreadsOnOneCarrierAllCompleteWithoutPinning() throws Exception {
        try (ChildProcess child = ChildProcess.java(ScaleChild.class.getName(), Integer.toString(N))) {
            String line = child.awaitLine("RESULT", 240);
            assertEquals("RESULT parked " + N + "/" + N + ", other virtual thread ran: true, completed " + N + "/" + N
                    + ", pinned events: 0, control pinned events: 1", line, child.output());
            assertEquals(0, child.awaitExit(60), child.output());
        }
    }

    public static final class ScaleChild {
        public static void main(String[] args) throws Exception {
            System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
            System.setProperty("jdk.virtualThreadScheduler.maxPoolSize", "1");
            int n = Integer.parseInt(args[0]);
            VpollFd[] fds = new VpollFd[n];
            for (int i = 0; i < n; i++) {
                fds[i] = VpollFd.create(0);
            }
            // A virtual thread waiting for another thread's initialization of a class pins its
            // carrier (JEP 491 does not cover class initialization): take the await path once,
            // parked until its timeout, so the classes it uses exist before the recording starts.
            try (VpollFd warm = VpollFd.create(0)) {
                Thread.ofVirtual().start(() -> {
                    try {
                        warm.await(Events.IN, Duration.ofMillis(50));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).join();
            }
            Path dir = Files.createTempDirectory("jvpoll-scale");
            int parked;
            boolean otherRan;
            int completed;
            long pinned;
            try (Recording rec = pinnedRecording()) {
                rec.start();
                AtomicInteger ok = new AtomicInteger();
                CountDownLatch done = new CountDownLatch(n);
                for (int i = 0; i < n; i++) {
                    VpollFd v = fds[i];
                    Thread.ofVirtual().start(() -> {
                        try {
                            if (v.await(Events.IN, Duration.ofSeconds(120)) == Events.IN) {
                                ok.incrementAndGet();
                            }
                        } catch (Exception e) {
                            e.printStackTrace();
                        } finally {
                            done.countDown();
                        }
                    });
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (Poller.registrations() < n && System.nanoTime() < deadline) {
                    Thread.sleep(5); // a detector loop: every waiter holds a registration once parked
                }
                parked = Poller.registrations();
                CountDownLatch ran = new CountDownLatch(1);
                Thread.ofVirtual().start(ran::countDown);
                otherRan = ran.await(60, TimeUnit.SECONDS);
                long t0 = System.nanoTime();
                for (VpollFd v : fds) {
                    v.add(Events.IN);
                }
                done.await(120, TimeUnit.SECONDS);
                System.out.printf("all %d woken %.1f ms after the first add%n", n, (System.nanoTime() - t0) / 1e6);
                completed = ok.get();
                rec.stop();
                pinned = countPinned(rec, dir.resolve("run.jfr"));
            }
            long control;
            try (Recording rec = pinnedRecording()) {
                rec.start();
                Thread.ofVirtual().start(ScaleChild::parkInsideAnUpcall).join();
                rec.stop();
                control = countPinned(rec, dir.resolve("control.jfr"));
            }
            for (VpollFd v : fds) {
                v.close();
            }
            System.out.println("RESULT parked " + parked + "/" + n + ", other virtual thread ran: " + otherRan
                    + ", completed " + completed + "/" + n + ", pinned events: " + pinned
                    + ", control pinned events: " + control);
        }

        private static Recording pinnedRecording() {
            Recording rec = new Recording();
            rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            return rec;
        }

        private static long countPinned(Recording rec, Path file) throws Exception {
            rec.dump(file);
            long count = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getEventType().getName().equals("jdk.VirtualThreadPinned")) {
                    count++;
                    System.out.println("pinned: " + e);
                }
            }
            return count;
        }

        /** qsort(3) of two ints whose comparator (an upcall) parks: a native frame pins the thread. */
        @SuppressWarnings("restricted")
        static void parkInsideAnUpcall() {
            try {
                Linker linker = Linker.nativeLinker();
                MethodHandle qsort = linker.downcallHandle(linker.defaultLookup().find("qsort").orElseThrow(),
                        FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
                MethodHandle compare = MethodHandles.lookup().findStatic(ScaleChild.class, "compare",
                        MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment stub = linker.upcallStub(compare, FunctionDescriptor.of(JAVA_INT,
                            ADDRESS.withTargetLayout(JAVA_INT), ADDRESS.withTargetLayout(JAVA_INT)), arena);
                    MemorySegment ints = arena.allocateFrom(JAVA_INT, 2, 1);
                    qsort.invokeExact(ints, 2L, 4L, stub);
                }
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static int compare(MemorySegment a, MemorySegment b) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            return Integer.compare(a.get(JAVA_INT, 0), b.get(JAVA_INT, 0));
        }
    }
}
