package org.jvpoll.park;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a blocking system call on a platform helper thread while the calling virtual thread parks,
 * so the call blocks a helper instead of the carrier (how the JDK compensates for file I/O). For
 * waits over a whole set (poll(2), select(2)) that the one-descriptor {@link Poller} cannot express.
 * The helpers are daemon threads of a cached pool: one per wait in progress, reused afterwards.
 */
public final class Offload {
    private Offload() {}

    /** A blocking call returning an int. */
    @FunctionalInterface
    public interface Call {
        int call() throws IOException;
    }

    private static final Executor POOL = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon(true).name("jvpoll-blocker-", 0).factory());

    private static final class Task implements Runnable {
        private final Call call;
        private final Thread waiter;
        private int result;
        private Throwable failure;
        private volatile boolean done;

        Task(Call call, Thread waiter) {
            this.call = call;
            this.waiter = waiter;
        }

        @Override
        public void run() {
            try {
                result = call.call();
            } catch (Throwable t) {
                failure = t;
            }
            done = true;
            LockSupport.unpark(waiter);
        }
    }

    /**
     * Runs {@code call} on a helper thread and parks until it returns. An interrupt does not end
     * the wait (the call in the kernel would not see it); the status is kept for the caller.
     *
     * @return what {@code call} returned
     * @throws IOException what {@code call} threw
     */
    public static int run(Call call) throws IOException {
        Thread self = Thread.currentThread();
        Task task = new Task(call, self);
        POOL.execute(task);
        boolean interrupted = false;
        while (!task.done) {
            LockSupport.park(task);
            if (Thread.interrupted()) {
                interrupted = true; // park returns at once while the status is set
            }
        }
        if (interrupted) {
            self.interrupt();
        }
        Throwable t = task.failure;
        if (t == null) {
            return task.result;
        }
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected exception from a blocking call", t);
    }
}
