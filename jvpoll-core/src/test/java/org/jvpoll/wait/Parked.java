package org.jvpoll.wait;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jvpoll.park.Poller;
import org.jvpoll.testing.BlockedThreads;

/**
 * A wait run on a virtual thread, with a detector for "parked in an await": the thread's state is
 * WAITING or TIMED_WAITING and it holds a registration with the poller (both, so a thread parked
 * for any other reason, such as class loading, does not count).
 */
final class Parked<T> {
    private final CompletableFuture<T> result = new CompletableFuture<>();
    final Thread thread;

    private Parked(Callable<T> wait, boolean virtual) {
        Runnable body = () -> {
            try {
                result.complete(wait.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        };
        thread = virtual ? Thread.ofVirtual().name("parked").start(body)
                : Thread.ofPlatform().daemon(true).name("parked").start(body);
    }

    static <T> Parked<T> virtual(Callable<T> wait) {
        return new Parked<>(wait, true);
    }

    /** The same on a platform thread (which blocks in poll(2): use {@link BlockedThreads} to see it wait). */
    static <T> Parked<T> platform(Callable<T> wait) {
        return new Parked<>(wait, false);
    }

    /** @return this, once the virtual thread is parked with a poller registration */
    Parked<T> parked() throws InterruptedException {
        awaitParked(thread);
        return this;
    }

    static void awaitParked(Thread t) throws InterruptedException {
        BlockedThreads.awaitParked(t, () -> Poller.isRegistered(t));
    }

    T get() throws Exception {
        return result.get(10, TimeUnit.SECONDS);
    }

    boolean isDone() {
        return result.isDone();
    }

    /** @return the exception the wait ended with */
    Throwable failure() throws Exception {
        try {
            T v = result.get(10, TimeUnit.SECONDS);
            throw new AssertionError("the wait returned " + v + " instead of throwing");
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }
}
