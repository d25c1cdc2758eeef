package org.jvpoll.wait;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jvpoll.syscall.Signals;

/** A wait run on its own platform thread, whose kernel thread id is known (see {@link Blocked}). */
final class Waiter<T> {
    private final CompletableFuture<Integer> tid = new CompletableFuture<>();
    private final CompletableFuture<T> result = new CompletableFuture<>();

    private final Thread thread;

    private Waiter(Callable<T> wait) {
        thread = Thread.ofPlatform().daemon(true).name("waiter").start(() -> {
            tid.complete(Signals.gettid());
            try {
                result.complete(wait.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    static <T> Waiter<T> start(Callable<T> wait) {
        return new Waiter<>(wait);
    }

    /** @return this waiter, once its thread sleeps in poll/select/epoll */
    Waiter<T> blocked() throws Exception {
        Blocked.inWait(tid.get(10, TimeUnit.SECONDS));
        return this;
    }

    int tid() throws Exception {
        return tid.get(10, TimeUnit.SECONDS);
    }

    T get() throws Exception {
        return result.get(10, TimeUnit.SECONDS);
    }

    void interrupt() {
        thread.interrupt();
    }

    boolean isDone() {
        return result.isDone();
    }
}
