package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.ChildProcess;

/**
 * What docs/wait.md says about the sets' waits on virtual threads, checked on the running JDK with
 * one carrier: {@code PollSet.poll}, {@code SelectSet.select} and {@code EpollSet.await(Duration)}
 * leave the carrier free (another virtual thread runs while they wait, and {@code wakeup()} ends
 * them), while {@code ppoll} with a signal mask is a foreign call blocked in the kernel, which pins
 * the carrier: no other virtual thread runs until it ends. If a JDK ever stops pinning there, this
 * test fails and the docs need updating.
 */
class VirtualThreadPinningTest {
    @Test
    void setWaitsLeaveTheCarrierFreeAndMaskedWaitsHoldIt() throws Exception {
        try (ChildProcess child = ChildProcess.java(PinningChild.class.getName())) {
            String line = child.awaitLine("RESULT", 90);
            assertEquals("RESULT poll: free, woken; select: free, woken; epoll: free, woken;"
                    + " ppoll with mask: other ran while waiting false, after wakeup true", line, child.output());
            assertEquals(0, child.awaitExit(30), child.output());
        }
    }

    /** Runs in a JVM of its own: the scheduler's size is fixed when the first virtual thread starts. */
    public static final class PinningChild {
        interface SetWait {
            boolean waitAndTellWoken() throws Exception;
        }

        public static void main(String[] args) throws Exception {
            System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
            StringBuilder out = new StringBuilder("RESULT");
            try (RealFds real = new RealFds(); PollSet poll = new PollSet(1); SelectSet select = new SelectSet();
                 EpollSet<String> epoll = EpollSet.open()) {
                int pipe = real.pipe()[0];
                poll.add(pipe, Events.IN);
                select.watch(pipe, true, false, false);
                epoll.add(pipe, Events.IN, "pipe");
                out.append(" poll: ").append(unpinned(() -> poll.poll(null) == 0 && poll.wokenUp(), poll::wakeup));
                out.append("; select: ").append(unpinned(() -> select.select(null) == 0 && select.wokenUp(), select::wakeup));
                out.append("; epoll: ").append(unpinned(() -> epoll.await(null).wokenUp(), epoll::wakeup));
                out.append("; ppoll with mask: ").append(pinned(poll));
            }
            System.out.println(out);
        }

        interface Wakeup {
            void wakeup() throws Exception;
        }

        /** A waiting virtual thread; then another must run on the one carrier before the wakeup. */
        static String unpinned(SetWait wait, Wakeup wakeup) throws Exception {
            CompletableFuture<Boolean> woken = new CompletableFuture<>();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    woken.complete(wait.waitAndTellWoken());
                } catch (Throwable t) {
                    woken.completeExceptionally(t);
                }
            });
            BlockedThreads.awaitParked(waiter, () -> true); // in the poller or the offload, once its look found nothing
            CountDownLatch ran = new CountDownLatch(1);
            Thread.ofVirtual().start(ran::countDown);
            boolean other = ran.await(30, TimeUnit.SECONDS);
            boolean stillWaiting = !woken.isDone();
            wakeup.wakeup();
            boolean wasWoken = woken.get(30, TimeUnit.SECONDS);
            return (other && stillWaiting ? "free" : "PINNED (other ran " + other + ", still waiting " + stillWaiting + ")")
                    + ", " + (wasWoken ? "woken" : "not woken");
        }

        /** ppoll with the thread's own mask as the mask: a foreign call blocked in the kernel. */
        static String pinned(PollSet set) throws Exception {
            CompletableFuture<Integer> tid = new CompletableFuture<>();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    tid.complete(BlockedThreads.currentTid());
                    set.ppoll(null, SignalSet.threadMask());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            BlockedThreads.awaitBlocked(tid.get(30, TimeUnit.SECONDS)); // the carrier's kernel thread is in ppoll(2)
            CountDownLatch ran = new CountDownLatch(1);
            Thread.ofVirtual().start(ran::countDown);
            boolean whileWaiting = ran.await(500, TimeUnit.MILLISECONDS);
            set.wakeup();
            boolean afterWakeup = ran.await(30, TimeUnit.SECONDS);
            waiter.join(java.time.Duration.ofSeconds(30));
            return "other ran while waiting " + whileWaiting + ", after wakeup " + afterWakeup;
        }
    }
}
