package org.jvpoll.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A wait run on its own platform thread whose kernel thread id is known, so a test can act once
 * it is blocked ({@link #blocked()}, through {@link BlockedThreads}) instead of sleeping.
 */
public final class WaitingThread<T> {
    private final CompletableFuture<Integer> tid = new CompletableFuture<>();
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private WaitingThread(Callable<T> wait) {
        thread = Thread.ofPlatform().daemon(true).name("waiter").start(() -> {
            tid.complete(BlockedThreads.currentTid());
            try {
                result.complete(wait.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    /** @return a thread running {@code wait} */
    public static <T> WaitingThread<T> start(Callable<T> wait) {
        return new WaitingThread<>(wait);
    }

    /** @return this, once its thread sleeps in poll/select/epoll (see {@link BlockedThreads#WAITS}) */
    public WaitingThread<T> blocked() throws Exception {
        BlockedThreads.awaitBlocked(tid());
        return this;
    }

    /** @return the kernel's id of the waiting thread */
    public int tid() throws Exception {
        return tid.get(BlockedThreads.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** @return what the wait returned, waiting up to {@value BlockedThreads#TIMEOUT_SECONDS} s */
    public T get() throws Exception {
        return get(BlockedThreads.TIMEOUT_SECONDS * 1000L);
    }

    /** @return what the wait returned, waiting up to {@code millis} (what it threw is the cause of an ExecutionException) */
    public T get(long millis) throws Exception {
        return result.get(millis, TimeUnit.MILLISECONDS);
    }

    public void interrupt() {
        thread.interrupt();
    }

    public boolean isDone() {
        return result.isDone();
    }
}
