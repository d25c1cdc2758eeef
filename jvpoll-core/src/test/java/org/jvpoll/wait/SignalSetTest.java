package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvpoll.syscall.Signals;

class SignalSetTest {
    @Test
    void holdsSignalNumbersOneToSixtyFourInTheKernelLayout() {
        SignalSet s = SignalSet.of(SignalSet.SIGINT, SignalSet.SIGWINCH, 64);
        assertTrue(s.contains(SignalSet.SIGINT) && s.contains(SignalSet.SIGWINCH) && s.contains(64));
        assertFalse(s.contains(SignalSet.SIGTERM));
        assertEquals((1L << 1) | (1L << 27) | (1L << 63), Signals.mask(s.segment()), "signal N is bit N-1");
        assertArrayEquals(new int[] {2, 28, 64}, s.signals());
        assertEquals("[SIGINT, SIGWINCH, 64]", s.toString());
        s.remove(SignalSet.SIGINT).remove(64).add(1);
        assertArrayEquals(new int[] {1, 28}, s.signals());
        assertEquals(SignalSet.of(1, 28), s);
        assertTrue(SignalSet.empty().isEmpty());
        assertEquals(128, s.segment().byteSize(), "a whole glibc sigset_t");
    }

    @Test
    void refusesNumbersOutsideTheKernelRange() {
        for (int bad : new int[] {0, -1, 65}) {
            String message = assertThrows(IllegalArgumentException.class, () -> SignalSet.of(bad)).getMessage();
            assertTrue(message.contains("signal " + bad) && message.contains("1..64"), message);
        }
        assertThrows(IllegalArgumentException.class, () -> SignalSet.empty().contains(0));
    }

    @Test
    void blocksAndUnblocksInTheCallingThreadOnly() throws Exception {
        SignalSet winch = SignalSet.of(SignalSet.SIGWINCH);
        SignalSet before = SignalSet.threadMask();
        assertFalse(before.contains(SignalSet.SIGWINCH));
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Boolean> otherSeesIt = new java.util.concurrent.CompletableFuture<>();
        Thread other = Thread.ofPlatform().start(() -> { // started before the block: no inherited mask
            try {
                blocked.await();
                otherSeesIt.complete(SignalSet.threadMask().contains(SignalSet.SIGWINCH));
            } catch (Exception e) {
                otherSeesIt.completeExceptionally(e);
            }
        });
        try {
            assertEquals(before, winch.block());
            assertTrue(SignalSet.threadMask().contains(SignalSet.SIGWINCH));
            blocked.countDown();
            assertFalse(otherSeesIt.get(10, java.util.concurrent.TimeUnit.SECONDS), "another thread's mask is its own");
            other.join();
            SignalSet previous = winch.unblock();
            assertTrue(previous.contains(SignalSet.SIGWINCH));
            assertEquals(before, SignalSet.threadMask());
        } finally {
            before.setThreadMask();
        }
    }

    @Test
    void aThreadStartedWhileASignalIsBlockedInheritsTheBlock() throws Exception {
        SignalSet before = SignalSet.of(SignalSet.SIGWINCH).block();
        try {
            java.util.concurrent.CompletableFuture<Boolean> child = new java.util.concurrent.CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    child.complete(SignalSet.threadMask().contains(SignalSet.SIGWINCH));
                } catch (Exception e) {
                    child.completeExceptionally(e);
                }
            }).join();
            assertTrue(child.get(), "pthread_create copies the creator's mask (documented in docs/wait.md)");
        } finally {
            before.setThreadMask();
        }
    }
}
