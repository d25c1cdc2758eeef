package org.jvpoll.backend;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.FdHandle;

/**
 * One vpoll fd as a backend serves it. Subclasses implement the change itself; this class pins
 * the descriptor around every call (see {@link FdHandle}) so a concurrent close cannot hand the
 * number to someone else mid-call.
 */
public abstract class VpollFile {
    private static final System.Logger LOG = System.getLogger("org.jvpoll");

    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    private final FdHandle handle;
    /** Run after close marks the file closed, to end awaits in progress; made on first await. */
    private volatile Set<Runnable> closeWakers;
    /** Creation order, unique: batches take per-fd locks in this order, so two batches never deadlock. */
    private final long id = IDS.incrementAndGet();

    // The handle calls closeResources only on close, after the subclass is constructed.
    @SuppressWarnings("this-escape")
    protected VpollFile(int fd) {
        this.handle = new FdHandle(fd, this::closeResources);
    }

    /** @return a number unique to this file, increasing with creation (the batch lock order) */
    final long id() {
        return id;
    }

    /**
     * Pins the descriptor open until {@link #unpin()} (see {@link FdHandle#acquire()}): batches
     * hold the pin across a whole submission.
     *
     * @throws java.nio.channels.ClosedChannelException if the file is closed
     */
    final int pin() throws java.nio.channels.ClosedChannelException {
        return acquire("VpollBatch");
    }

    /** Pins the descriptor for {@code call}, or fails naming the call and this fd. */
    private int acquire(String call) throws java.nio.channels.ClosedChannelException {
        try {
            return handle.acquire();
        } catch (java.nio.channels.ClosedChannelException e) {
            throw closed(call);
        }
    }

    /**
     * @param call what was attempted, for example {@code "await"}
     * @return the exception for {@code call} on this closed file, naming the call and the fd
     */
    public final ClosedVpollFdException closed(String call) {
        return new ClosedVpollFdException(call + " on closed vpoll fd " + handle.fd() + " (" + backend().id() + ")");
    }

    /** Ends a {@link #pin()}; the last one after a close releases the descriptor. */
    final void unpin() {
        handle.release();
    }

    public abstract Backend backend();

    /** Applies the change on the pinned descriptor {@code fd}. @return the new mask */
    protected abstract int doCtl(int fd, VpollOp op, int events) throws IOException;

    /** Reads the mask of the pinned descriptor {@code fd}. */
    protected abstract int doEvents(int fd) throws IOException;

    /** Closes {@code fd} and any companion descriptors; called exactly once. */
    protected abstract void releaseDescriptors(int fd) throws IOException;

    public final int ctl(VpollOp op, int events) throws IOException {
        int fd;
        try {
            fd = handle.acquire();
        } catch (java.nio.channels.ClosedChannelException e) {
            throw closed("ctl(" + op + ", " + Events.toString(events) + ")"); // the message only when it fails
        }
        try {
            return doCtl(fd, op, events);
        } finally {
            handle.release();
        }
    }

    public final int events() throws IOException {
        int fd = acquire("events()");
        try {
            return doEvents(fd);
        } finally {
            handle.release();
        }
    }

    /** Work done on the pinned descriptor. */
    @FunctionalInterface
    public interface PinnedAction<T> {
        T apply(int fd) throws IOException;
    }

    /**
     * Runs {@code action} with the descriptor pinned open (see {@link FdHandle}): a concurrent
     * close cannot release the number until it returns.
     *
     * @param call what {@code action} does, named by the exception if the file is closed
     * @throws java.nio.channels.ClosedChannelException if the file is closed
     */
    public final <T> T withPinnedFd(String call, PinnedAction<T> action) throws IOException {
        int fd = acquire(call);
        try {
            return action.apply(fd);
        } finally {
            handle.release();
        }
    }

    public final int fd() {
        return handle.fd();
    }

    public final boolean isOpen() {
        return handle.isOpen();
    }

    /** Closes the file, once. @return true for the one call that closed it */
    public final boolean close() {
        if (!handle.close()) {
            return false;
        }
        Set<Runnable> wakers = closeWakers;
        if (wakers != null) {
            for (Runnable r : wakers) {
                r.run();
            }
        }
        return true;
    }

    /**
     * Runs {@code waker} when this file is closed, until {@link #removeCloseWaker}. Register it
     * before checking {@link #isOpen()}: a close then either sees it or is seen by the check.
     */
    public final void addCloseWaker(Runnable waker) {
        Set<Runnable> wakers = closeWakers;
        if (wakers == null) {
            synchronized (this) {
                wakers = closeWakers;
                if (wakers == null) {
                    closeWakers = wakers = ConcurrentHashMap.newKeySet();
                }
            }
        }
        wakers.add(waker);
    }

    public final void removeCloseWaker(Runnable waker) {
        Set<Runnable> wakers = closeWakers;
        if (wakers != null) {
            wakers.remove(waker);
        }
    }

    private void closeResources(int fd) {
        try {
            releaseDescriptors(fd);
        } catch (IOException e) {
            // close(2) failing here means a descriptor was already gone: a bug worth a loud log,
            // but the caller's close (possibly a deferred one) has no one to throw to.
            LOG.log(Level.WARNING, "closing vpoll fd " + fd + " failed", e);
        }
    }
}
