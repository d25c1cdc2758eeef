package org.jvpoll.wait;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.FdHandle;
import org.jvpoll.syscall.Unistd;

/**
 * What every waiter shares: the native memory it reuses across waits, the eventfd that
 * {@code wakeup()} writes, a race-free close, and the one-waiter-at-a-time guard.
 *
 * <p>All native memory lives in one shared arena, freed with the descriptors by whoever ends the
 * last in-flight call after {@link #close()} (see {@link FdHandle}), so a wait running while
 * another thread closes never touches freed memory or a recycled fd number.
 */
final class WaitCore {
    final Arena arena = Arena.ofShared();
    /** The wakeup eventfd, non-blocking: waiters watch it for IN. */
    final int wakeFd;
    private final String owner;
    private final FdHandle handle;
    private final MemorySegment one;
    private final MemorySegment drainBuffer;
    private final AtomicBoolean waiting = new AtomicBoolean();
    /** Call names for errors, built once: waits must not allocate. */
    private final String writeCall;
    private final String readCall;
    /** A second descriptor owned by the waiter (the epoll fd), closed with the rest; -1 if none. */
    private volatile int ownedFd = -1;

    WaitCore(String owner) throws VpollException {
        this.owner = owner;
        int fd;
        try {
            fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        } catch (VpollException e) {
            arena.close();
            throw e;
        }
        wakeFd = fd;
        one = arena.allocate(JAVA_LONG);
        one.set(JAVA_LONG, 0, 1L);
        drainBuffer = arena.allocate(JAVA_LONG);
        handle = new FdHandle(fd, this::release);
        writeCall = "write(wakeup eventfd " + fd + ")";
        readCall = "read(wakeup eventfd " + fd + ")";
    }

    /** Makes {@code fd} close together with this waiter. */
    void own(int fd) {
        ownedFd = fd;
    }

    private void release(int fd) {
        int other = ownedFd;
        if (other >= 0) {
            Unistd.closeQuietly(other);
        }
        Unistd.closeQuietly(fd);
        arena.close();
    }

    /**
     * Starts a call that uses the native memory; pair with {@link #end()}.
     * @throws ClosedChannelException if the waiter is closed
     */
    void begin() throws ClosedChannelException {
        handle.acquire();
    }

    void end() {
        handle.release();
    }

    /**
     * Starts a wait: {@link #begin()} plus the one-waiter guard; pair with {@link #endWait()}.
     * @throws IllegalStateException if another thread is waiting on the same object
     */
    void beginWait() throws ClosedChannelException {
        handle.acquire();
        if (!waiting.compareAndSet(false, true)) {
            handle.release();
            throw new IllegalStateException("another thread is already waiting on this " + owner
                    + "; use one " + owner + " per waiting thread");
        }
    }

    void endWait() {
        waiting.set(false);
        handle.release();
    }

    /** @throws IllegalStateException if a thread is waiting (changes must not race a wait) */
    void requireNotWaiting(String what) {
        if (waiting.get()) {
            throw new IllegalStateException("cannot " + what + " while a thread waits on this " + owner
                    + "; call wakeup() and change it from the waiting thread");
        }
    }

    /** Makes the current or next wait return; a no-op once closed. */
    void wakeup() throws VpollException {
        try {
            handle.acquire();
        } catch (ClosedChannelException e) {
            return;
        }
        try {
            Unistd.write(wakeFd, one, 8, writeCall); // WOULD_BLOCK: already pending
        } finally {
            handle.release();
        }
    }

    /** Consumes pending wakeups; call between {@link #begin()} and {@link #end()}. */
    void drain() throws VpollException {
        Unistd.read(wakeFd, drainBuffer, 8, readCall);
    }

    boolean isOpen() {
        return handle.isOpen();
    }

    /** Closes; a thread waiting right now is woken and the descriptors go when it returns. */
    void close() {
        try {
            handle.acquire();
        } catch (ClosedChannelException e) {
            return;
        }
        // Closed bit first, then the wakeup: a loop such as "while (set.isOpen()) set.await(null)"
        // that consumed the wakeup and went round again must find the set closed, not start a
        // wait that nothing will end (the order was the other way round, and hung such loops).
        handle.close();
        try {
            Unistd.write(wakeFd, one, 8, writeCall);
        } catch (VpollException ignored) {
            // closing anyway; a waiter that misses this wakeup still has its own timeout
        } finally {
            handle.release();
        }
    }
}
