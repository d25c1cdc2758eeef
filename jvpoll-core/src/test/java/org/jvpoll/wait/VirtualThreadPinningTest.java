package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.testing.ChildJvm;

/**
 * What docs/wait.md says about virtual threads, checked on the running JDK: a wait is a foreign
 * function call blocked in the kernel, which pins the virtual thread to its carrier, and the
 * scheduler does not add a carrier for it. With one carrier, no other virtual thread runs until
 * the wait ends. If a JDK ever stops pinning here, this test fails and the docs need updating.
 */
class VirtualThreadPinningTest {
    @Test
    void aWaitingVirtualThreadHoldsItsCarrier() throws Exception {
        try (ChildJvm child = new ChildJvm(PinningChild.class.getName())) {
            String line = child.awaitLine("RESULT", 60);
            assertEquals("RESULT other virtual thread ran while waiting: false; after wakeup: true", line,
                    child.output());
            assertEquals(0, child.awaitExit(30), child.output());
        }
    }

    /** Runs in a JVM of its own: the scheduler's size is fixed when the first virtual thread starts. */
    public static final class PinningChild {
        public static void main(String[] args) throws Exception {
            System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
            try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
                set.add(real.pipe()[0], Events.IN);
                CompletableFuture<Integer> tid = new CompletableFuture<>();
                Thread waiter = Thread.ofVirtual().start(() -> {
                    try {
                        tid.complete(org.jvpoll.syscall.Signals.gettid());
                        set.poll(null);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Blocked.inWait(tid.get(30, TimeUnit.SECONDS)); // the carrier's kernel thread is in poll(2)
                CountDownLatch ran = new CountDownLatch(1);
                Thread.ofVirtual().start(ran::countDown);
                boolean whileWaiting = ran.await(500, TimeUnit.MILLISECONDS);
                set.wakeup();
                boolean afterWakeup = ran.await(30, TimeUnit.SECONDS);
                waiter.join(Duration.ofSeconds(30));
                System.out.println("RESULT other virtual thread ran while waiting: " + whileWaiting
                        + "; after wakeup: " + afterWakeup);
            }
        }
    }
}
