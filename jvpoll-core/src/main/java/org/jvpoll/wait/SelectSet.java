package org.jvpoll.wait;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.park.Offload;
import org.jvpoll.syscall.Select;
import org.jvpoll.syscall.Syscall;
import org.jvpoll.syscall.Timespec;
import org.jvpoll.syscall.WaitLoop;

/**
 * The kernel's {@code select(2)} and {@code pselect(2)} over any descriptors below
 * {@link FdSet#FD_SETSIZE} (1024), with read, write and exception interest per descriptor.
 *
 * <pre>{@code
 * try (SelectSet set = new SelectSet()) {
 *     set.watch(vpollFd.fd(), true, false, true);   // readable (IN/HUP/ERR), exceptional (PRI)
 *     set.watch(socketFd, true, true, false);
 *     if (set.select(Duration.ofMillis(100)) > 0 && set.readable(vpollFd.fd())) { ... }
 * }
 * }</pre>
 *
 * <p>Linux reports a descriptor readable for IN, RDNORM, RDBAND, HUP or ERR, writable for OUT,
 * WRNORM, WRBAND or ERR, and exceptional for PRI. A descriptor at or above 1024 is refused with
 * {@link IllegalArgumentException} naming it and the limit.
 *
 * <p><b>Signals, threads, allocation, close</b>: as {@link PollSet} — {@link #select} retries
 * EINTR with the time left, {@link #pselect} with a mask throws {@link SignalInterruptedException};
 * one owning thread, with {@link #wakeup()} and {@link #close()} from any thread; on a virtual
 * thread {@link #select} runs the blocking call on a helper platform thread and parks, so it does
 * not pin the carrier ({@link #pselect} does); no heap allocation per wait on a platform thread
 * (the interest sets are copied into reused native result sets); after close
 * the result queries keep answering with the last wait's result and everything else throws
 * {@link ClosedChannelException}.
 */
public final class SelectSet implements AutoCloseable {
    private final WaitCore core;
    private final MemorySegment time;
    /** The waits' attempts, made once: a wait must not allocate. */
    private final WaitLoop.Attempt selectAttempt = this::selectOnce;
    private final WaitLoop.Attempt pselectAttempt = this::pselectOnce;
    /** pselect's signal mask for the wait in progress (NULL: the thread's mask stays). */
    private MemorySegment waitMask = MemorySegment.NULL;
    private final FdSet readInterest = new FdSet();
    private final FdSet writeInterest = new FdSet();
    private final FdSet exceptInterest = new FdSet();
    private final FdSet readReady = new FdSet();
    private final FdSet writeReady = new FdSet();
    private final FdSet exceptReady = new FdSet();
    /** Highest watched descriptor, the wakeup eventfd included. */
    private int highest;
    private boolean wokenUp;

    /**
     * Creates an empty select set (and its wakeup eventfd).
     *
     * @throws VpollException if the wakeup eventfd cannot be created
     * @throws IllegalStateException if every descriptor number below FD_SETSIZE is in use, so the
     *         set's own eventfd cannot be watched by select
     */
    public SelectSet() throws VpollException {
        core = new WaitCore("SelectSet");
        if (core.wakeFd >= FdSet.FD_SETSIZE) {
            int fd = core.wakeFd;
            core.close();
            throw new IllegalStateException("the SelectSet's wakeup eventfd got number " + fd
                    + ", not below FD_SETSIZE (" + FdSet.FD_SETSIZE + "): every lower number is in use;"
                    + " use PollSet or EpollSet");
        }
        time = core.arena.allocate(Timespec.SIZE, 8);
        readInterest.set(core.wakeFd);
        highest = core.wakeFd;
    }

    /**
     * Sets the interest for {@code fd}; all three false is {@link #unwatch}.
     *
     * @param fd the file descriptor
     * @param read whether to watch readability
     * @param write whether to watch writability
     * @param except whether to watch exceptional conditions (urgent data)
     * @throws IllegalArgumentException if {@code fd} is negative or not below FD_SETSIZE (1024)
     * @throws IllegalStateException if a thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     */
    public void watch(int fd, boolean read, boolean write, boolean except) throws ClosedChannelException {
        FdSet.check(fd);
        core.begin();
        try {
            if (fd == core.wakeFd) { // checked while open: after close the number belongs to others
                throw new IllegalArgumentException("fd " + fd + " is this SelectSet's own wakeup eventfd");
            }
            core.requireNotWaiting("change a SelectSet");
            put(readInterest, fd, read);
            put(writeInterest, fd, write);
            put(exceptInterest, fd, except);
            clearResult(fd);
            if (read || write || except) {
                highest = Math.max(highest, fd);
            } else if (fd == highest) {
                recomputeHighest();
            }
        } finally {
            core.end();
        }
    }

    /**
     * Watches a vpoll fd (not kept open by the set: unwatch it before closing it).
     * @param vpoll the vpoll fd (pinned open while the wait uses its descriptor)
     * @param read whether to watch readability
     * @param write whether to watch writability
     * @param except whether to watch exceptional conditions (urgent data)
     * @throws ClosedChannelException if the set or {@code vpoll} is closed
     * @see #watch(int, boolean, boolean, boolean)
     */
    public void watch(VpollFd vpoll, boolean read, boolean write, boolean except) throws ClosedChannelException {
        watch(VpollFds.openFd(vpoll), read, write, except);
    }

    /**
     * Stops watching {@code fd} (no error if it was not watched).
     *
     * @param fd the file descriptor
     * @throws IllegalArgumentException as {@link #watch}
     * @throws ClosedChannelException if the set is closed
     */
    public void unwatch(int fd) throws ClosedChannelException {
        watch(fd, false, false, false);
    }

    /**
     * select(2): waits until a watched descriptor is ready, {@code timeout} passes, or
     * {@link #wakeup()} is called; EINTR is retried with the time left.
     *
     * @param timeout null waits forever, {@link Duration#ZERO} only looks; rounded up to microseconds
     * @return the number of ready conditions (a descriptor both readable and writable counts twice,
     *         as select(2) counts); 0 on timeout or wakeup
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if another thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     * @throws VpollException if select fails (errno attached; EBADF if a watched fd is closed)
     */
    public int select(Duration timeout) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        core.beginWait();
        try {
            return collect(WaitLoop.run(nanos, true, selectAttempt));
        } finally {
            core.endWait();
        }
    }

    private int selectOnce(long nanos) throws IOException {
        MemorySegment tv = MemorySegment.NULL;
        if (nanos >= 0) {
            Timespec.setTimeval(time, nanos);
            tv = time;
        }
        prepareResult();
        return Thread.currentThread().isVirtual() && nanos != 0 ? selectUnpinned(nanos, tv)
                : Select.select(highest + 1, readReady.segment(), writeReady.segment(), exceptReady.segment(), tv);
    }

    /**
     * A virtual thread's select: a look first (zero timeval), then the blocking call on a helper
     * platform thread while this thread parks. wakeup() and close() still end it (the eventfd is
     * in the read set).
     */
    private int selectUnpinned(long nanos, MemorySegment tv) throws IOException {
        Timespec.setTimeval(time, 0);
        int rc = Select.select(highest + 1, readReady.segment(), writeReady.segment(), exceptReady.segment(), time);
        if (rc != 0) {
            return rc;
        }
        prepareResult(); // select(2) cleared the result sets
        if (nanos >= 0) {
            Timespec.setTimeval(time, nanos);
        }
        int n = highest + 1;
        MemorySegment r = readReady.segment();
        MemorySegment w = writeReady.segment();
        MemorySegment x = exceptReady.segment();
        return Offload.run(() -> Select.select(n, r, w, x, tv));
    }

    /**
     * pselect(2): like {@link #select}, with a nanosecond timeout and {@code mask} as the thread's
     * signal mask during the wait.
     *
     * @param timeout how long to wait: {@code null} without limit, zero not at all
     * @param mask the signal mask during the wait; null keeps the thread's mask (EINTR retried)
     * @throws SignalInterruptedException if {@code mask} is given and a signal it lets through
     *         interrupted the wait
     * @return how many descriptors are ready, as select(2) counts them
     * @see #select(Duration)
     */
    public int pselect(Duration timeout, SignalSet mask) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        core.beginWait();
        try {
            waitMask = mask == null ? MemorySegment.NULL : mask.segment();
            int rc = WaitLoop.run(nanos, mask == null, pselectAttempt);
            if (rc == Syscall.INTERRUPTED) {
                collect(0);
                throw new SignalInterruptedException("pselect");
            }
            return collect(rc);
        } finally {
            waitMask = MemorySegment.NULL;
            core.endWait();
        }
    }

    private int pselectOnce(long nanos) throws IOException {
        MemorySegment ts = MemorySegment.NULL;
        if (nanos >= 0) {
            Timespec.setTimespec(time, nanos);
            ts = time;
        }
        prepareResult();
        return Select.pselect(highest + 1, readReady.segment(), writeReady.segment(), exceptReady.segment(), ts, waitMask);
    }

    /**
     * Makes the wait in progress (or the next) return; any thread; a no-op once closed.
     *
     * @throws VpollException if writing the wakeup eventfd fails
     */
    public void wakeup() throws VpollException {
        core.wakeup();
    }

    /** {@return whether the last wait ended because of {@link #wakeup()} (or a close)} */
    public boolean wokenUp() {
        return wokenUp;
    }

    /**
     * {@return whether the last wait found {@code fd} readable}
     *
     * @throws IllegalArgumentException for an fd outside 0..1023
     *
     * @param fd the file descriptor
     */
    public boolean readable(int fd) {
        return fd != core.wakeFd && readReady.isSet(fd);
    }

    /**
     * {@return whether the last wait found {@code fd} writable}
     *
     * @param fd the file descriptor
     */
    public boolean writable(int fd) {
        return writeReady.isSet(fd);
    }

    /**
     * {@return whether the last wait found an exceptional condition (PRI) on {@code fd}}
     *
     * @param fd the file descriptor
     */
    public boolean exceptional(int fd) {
        return exceptReady.isSet(fd);
    }

    /**
     * {@return whether {@code fd} is watched for anything}
     *
     * @param fd the file descriptor
     */
    public boolean isWatched(int fd) {
        return fd != core.wakeFd && (readInterest.isSet(fd) || writeInterest.isSet(fd) || exceptInterest.isSet(fd));
    }

    /** {@return false once {@link #close()} has been called} */
    public boolean isOpen() {
        return core.isOpen();
    }

    /** For tests in this package: the set's own descriptors. */
    WaitCore core() {
        return core;
    }

    /** Releases the set's eventfd and memory (not the watched descriptors). Idempotent. */
    @Override
    public void close() {
        core.close();
    }

    private void prepareResult() {
        readReady.copyFrom(readInterest);
        writeReady.copyFrom(writeInterest);
        exceptReady.copyFrom(exceptInterest);
    }

    private int collect(int rc) throws VpollException {
        wokenUp = false;
        if (rc <= 0) {
            readReady.zero();
            writeReady.zero();
            exceptReady.zero();
            return 0;
        }
        if (readReady.isSet(core.wakeFd)) {
            readReady.clear(core.wakeFd);
            wokenUp = true;
            core.drain();
            return rc - 1;
        }
        return rc;
    }

    private void clearResult(int fd) {
        readReady.clear(fd);
        writeReady.clear(fd);
        exceptReady.clear(fd);
    }

    private static void put(FdSet set, int fd, boolean on) {
        if (on) {
            set.set(fd);
        } else {
            set.clear(fd);
        }
    }

    private void recomputeHighest() {
        highest = Math.max(core.wakeFd,
                Math.max(readInterest.highest(), Math.max(writeInterest.highest(), exceptInterest.highest())));
    }
}
