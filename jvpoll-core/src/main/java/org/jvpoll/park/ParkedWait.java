package org.jvpoll.park;

import java.util.concurrent.locks.LockSupport;

/** One virtual thread's registration with the {@link Poller}. */
final class ParkedWait {
    final Thread thread;
    final long id;
    /** The descriptor registered with the poller's epoll fd: the caller's own, or a dup of it. */
    int registeredFd = -1;
    /** Whether {@link #registeredFd} is a dup this wait owns (and closes). */
    boolean dup;
    /** epoll's events, written before {@link #fired}. */
    private int revents;
    private volatile boolean fired;

    ParkedWait(Thread thread, long id) {
        this.thread = thread;
        this.id = id;
    }

    /** Called by the poller thread: the one-shot registration reported {@code events}. */
    void fire(int events) {
        revents = events;
        fired = true;
        LockSupport.unpark(thread);
    }

    /** Makes the parked thread look at its state again (close, for example). */
    void wake() {
        LockSupport.unpark(thread);
    }

    boolean fired() {
        return fired;
    }

    /** @return the events reported; read only after {@link #fired()} returned true */
    int revents() {
        return revents;
    }
}
