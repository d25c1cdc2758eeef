package org.jvpoll;

import java.util.Arrays;
import java.util.Objects;

import org.jvpoll.backend.BatchEngine;
import org.jvpoll.backend.VpollFile;

/**
 * Many changes to many vpoll fds, applied together: through one io_uring submission where the
 * backend's mechanism allows it, otherwise one call per change, with the same results either way.
 *
 * <pre>{@code
 * VpollBatch batch = VpollBatch.create(64);
 * for (VpollFd vfd : ready) {
 *     batch.add(vfd, VpollOp.ADD, Events.IN);
 * }
 * BatchResult r = batch.apply();          // r.path(): URING or SEQUENTIAL, r.pathDetail() says why
 * for (int i = 0; i < r.size(); i++) {
 *     if (r.error(i) != null) { ... }      // the exception ctl would have thrown
 * }
 * batch.clear();
 * }</pre>
 *
 * <p><b>Semantics.</b> Each change has the result the same {@link VpollFd#ctl} call would have:
 * its new mask, or the exception ctl would have thrown — {@link IllegalArgumentException} for
 * bits outside {@link Events#ALL}, {@link NullPointerException} for a null fd or op,
 * {@link UnsupportedEventsException} for a change the backend refuses (nothing changed),
 * {@link java.nio.channels.ClosedChannelException} for a closed fd, {@link VpollException} for a
 * failing system call. A failing change never stops the others. Changes to one fd apply in batch
 * order, atomically with respect to other threads' calls on that fd (its lock is held while they
 * are in flight); changes to different fds have no order among them. A {@link VpollFd#close()}
 * racing the batch either comes first (the fd's changes fail with ClosedChannelException) or
 * leaves the descriptors open until the batch's changes to that fd have finished, and only then
 * releases them: no change ever reaches a recycled fd number.
 *
 * <p><b>Paths.</b> On Linux with io_uring, a batch's changes that raise, re-signal and clear IN on
 * {@link Backend#EMULATION} fds (the fan-out case) are one io_uring submission (linked
 * IORING_OP_SEND/RECV chains, one per fd), and so are all changes on {@link Backend#EVENTFD} fds
 * created {@link VpollFd.Options#nonBlocking(boolean) O_NONBLOCK} (a linked IORING_OP_WRITE of the
 * command and IORING_OP_READ of the mask per change); every other change (dev-vpoll's ioctls among
 * them) is applied with one call each, and {@link BatchResult#pathDetail()} says why. The
 * system property {@code jvpoll.batch.uring=false} forces the one-call-per-change path; so do a
 * kernel without io_uring, {@code kernel.io_uring_disabled}, or a seccomp filter, which
 * {@link BatchResult#pathDetail()} names.
 *
 * <p>A batch object is meant for one thread at a time (it is not synchronized); the fds in it may
 * be used by other threads meanwhile.
 */
public final class VpollBatch {
    /** The most changes one batch holds. */
    public static final int MAX_CAPACITY = 1 << 16;

    private final VpollFd[] fds;
    private final VpollOp[] ops;
    private final int[] events;
    private final boolean uring;
    private int size;

    private VpollBatch(int capacity, boolean uring) {
        this.fds = new VpollFd[capacity];
        this.ops = new VpollOp[capacity];
        this.events = new int[capacity];
        this.uring = uring;
    }

    /**
     * Creates an empty batch; {@link #apply()} uses io_uring unless the system property
     * {@code jvpoll.batch.uring} is {@code false}.
     *
     * @param capacity the most changes it holds (1..{@value #MAX_CAPACITY})
     * @return the new, empty batch
     * @throws IllegalArgumentException if {@code capacity} is out of range
     */
    public static VpollBatch create(int capacity) {
        return create(capacity, !"false".equalsIgnoreCase(System.getProperty("jvpoll.batch.uring")));
    }

    /** As {@link #create(int)}, with io_uring allowed or not (tests force the sequential path). */
    static VpollBatch create(int capacity, boolean uring) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity " + capacity + ": expected 1.." + MAX_CAPACITY);
        }
        return new VpollBatch(capacity, uring);
    }

    /**
     * Appends a change. Nothing is checked or applied here: a null fd or op, bad bits or a closed
     * fd become that change's error in {@link #apply()}.
     *
     * @param vfd the vpoll fd to change
     * @param op the operation
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @return this batch
     * @throws IllegalStateException if the batch is full (misuse of the batch itself)
     */
    public VpollBatch add(VpollFd vfd, VpollOp op, int events) {
        if (size == fds.length) {
            throw new IllegalStateException("batch full: capacity " + fds.length + " changes; apply() and clear() it");
        }
        fds[size] = vfd;
        ops[size] = op;
        this.events[size] = events;
        size++;
        return this;
    }

    /** {@return the number of changes added since creation or the last {@link #clear()}} */
    public int size() {
        return size;
    }

    /** {@return the most changes this batch holds} */
    public int capacity() {
        return fds.length;
    }

    /**
     * Removes every change (and drops the references to their fds).
     *
     * @return this batch
     */
    public VpollBatch clear() {
        Arrays.fill(fds, 0, size, null);
        Arrays.fill(ops, 0, size, null);
        size = 0;
        return this;
    }

    /**
     * Applies the changes, in order per fd; the batch keeps them (apply again, or {@link #clear()}).
     * Never throws for a change: each one's mask or exception is in the result.
     *
     * @return the result of every change, in the order they were added, and the path taken
     */
    public BatchResult apply() {
        int n = size;
        VpollFile[] files = new VpollFile[n];
        Exception[] errors = new Exception[n];
        int[] masks = new int[n];
        for (int i = 0; i < n; i++) {
            try {
                Objects.requireNonNull(fds[i], "vfd");
                Objects.requireNonNull(ops[i], "op");
                Events.requireValid("events", events[i]);
                files[i] = fds[i].file();
            } catch (RuntimeException e) {
                errors[i] = e;
            }
        }
        BatchEngine.Outcome o = BatchEngine.apply(files, ops, events, n, masks, errors, uring);
        return new BatchResult(masks, errors, o.uring() ? BatchResult.Path.URING : BatchResult.Path.SEQUENTIAL,
                o.detail(), o.uringChanges());
    }
}
