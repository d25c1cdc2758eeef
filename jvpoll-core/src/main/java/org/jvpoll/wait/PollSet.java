package org.jvpoll.wait;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;

import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.park.Offload;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Syscall;
import org.jvpoll.syscall.Timespec;
import org.jvpoll.syscall.WaitLoop;

/**
 * The kernel's {@code poll(2)} and {@code ppoll(2)} over any descriptors: vpoll fds, sockets,
 * pipes, eventfd, timerfd, signalfd, ttys, descriptors from native code.
 *
 * <pre>{@code
 * try (PollSet set = new PollSet(4)) {
 *     int v = set.add(vpollFd, Events.IN);
 *     int p = set.add(pipeReadFd, Events.IN);
 *     while (running) {
 *         if (set.poll(Duration.ofSeconds(1)) > 0) {
 *             if ((set.revents(v) & Events.IN) != 0) { ... }
 *             if ((set.revents(p) & Events.IN) != 0) { ... }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p><b>Indexes.</b> {@link #add} returns an index that stays valid until {@link #remove} of that
 * index or {@link #clear()}; a removed index is handed out again by a later {@link #add}.
 * {@link #size()} is one past the highest index in use, so {@code for (i < size())} visits every
 * entry; removed positions below it have {@code fd(i) == -1} and never report events.
 *
 * <p><b>Events</b> are poll(2)'s 16 bits ({@link Events#IN} ... {@link Events#RDHUP}); ERR, HUP
 * and NVAL are reported whether requested or not, so {@code events} 0 watches only for those.
 *
 * <p><b>Signals.</b> {@link #poll} retries when a signal handler interrupts it (EINTR), with the
 * time that is left, so it returns only for readiness, timeout or {@link #wakeup()}. {@link #ppoll}
 * with a mask throws {@link SignalInterruptedException} instead, because catching the signals the
 * mask lets through is what ppoll is for.
 *
 * <p><b>Threads.</b> One thread owns a set: it adds, changes, removes, waits and reads the results.
 * A second thread waiting at the same time gets {@link IllegalStateException}, as does a change
 * attempted while a wait is in progress. {@link #wakeup()} and {@link #close()} may be called from
 * any thread, at any time. On a virtual thread {@link #poll} does not pin the carrier: the
 * blocking call runs on a helper platform thread while the virtual thread parks; {@link #ppoll}
 * (a signal mask belongs to a kernel thread) blocks the carrier. See {@code docs/wait.md}.
 *
 * <p><b>Allocation.</b> The pollfd array and timespec are native memory reused by every wait;
 * {@link #poll} and {@link #ppoll} allocate nothing on the Java heap (the array grows, by
 * doubling, only in {@link #add}).
 *
 * <p><b>Close.</b> {@link #close()} releases the set's own eventfd and memory, never the watched
 * descriptors; a wait in another thread returns at once. Afterwards every method that changes or
 * waits throws {@link ClosedChannelException}; {@link #fd}, {@link #events}, {@link #revents} and
 * {@link #size} keep answering with the last state.
 */
public final class PollSet implements AutoCloseable {
    private static final long POLLFD_SIZE = Poll.POLLFD_SIZE;

    private final WaitCore core;
    private final MemorySegment timespec;
    /** Native pollfd array: entry 0 is the wakeup eventfd, user index i is entry i + 1. */
    private MemorySegment fds;
    private int[] userFds;
    private int[] userEvents;
    private int[] userRevents;
    /** Indexes below {@link #limit} that are free. */
    private final BitSet free = new BitSet();
    private int limit;
    private boolean wokenUp;
    /** The waits' attempts, made once: a wait must not allocate. */
    private final WaitLoop.Attempt pollAttempt = this::pollOnce;
    private final WaitLoop.Attempt ppollAttempt = this::ppollOnce;
    /** ppoll's signal mask for the wait in progress (NULL: the thread's mask stays). */
    private MemorySegment waitMask = MemorySegment.NULL;

    /**
     * Creates an empty poll set (and its wakeup eventfd).
     *
     * @param initialCapacity entries to reserve; the set grows past it as needed
     * @throws IllegalArgumentException if {@code initialCapacity} is negative
     * @throws VpollException if the wakeup eventfd cannot be created
     */
    public PollSet(int initialCapacity) throws VpollException {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initialCapacity must not be negative: " + initialCapacity);
        }
        int capacity = Math.max(initialCapacity, 1);
        core = new WaitCore("PollSet");
        timespec = core.arena.allocate(Timespec.SIZE, 8);
        fds = core.arena.allocate(POLLFD_SIZE * (capacity + 1), 8);
        userFds = new int[capacity];
        userEvents = new int[capacity];
        userRevents = new int[capacity];
        writeEntry(0, core.wakeFd, Events.IN);
    }

    /**
     * Watches {@code fd} for {@code events}.
     *
     * @param fd the file descriptor
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @return the entry's index
     * @throws IllegalArgumentException if {@code fd} is negative or {@code events} has bits outside
     *         poll's 16
     * @throws IllegalStateException if a thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     */
    public int add(int fd, int events) throws ClosedChannelException {
        requireFd(fd);
        requireEvents(events);
        core.begin();
        try {
            core.requireNotWaiting("add to a PollSet");
            int index = free.nextSetBit(0);
            if (index < 0) {
                index = limit++;
                ensureCapacity(limit);
            } else {
                free.clear(index);
            }
            userFds[index] = fd;
            userEvents[index] = events;
            userRevents[index] = 0;
            writeEntry(index + 1, fd, events);
            return index;
        } finally {
            core.end();
        }
    }

    /**
     * Watches a vpoll fd; the set does not keep it open (remove it before closing it).
     * @param vpoll the vpoll fd (pinned open while the wait uses its descriptor)
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @return the entry's index
     * @throws ClosedChannelException if the set or {@code vpoll} is closed
     * @see #add(int, int)
     */
    public int add(VpollFd vpoll, int events) throws ClosedChannelException {
        return add(VpollFds.openFd(vpoll), events);
    }

    /**
     * Replaces the events watched at {@code index}.
     * @param index the entry's index, as returned when it was added
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @throws IndexOutOfBoundsException if {@code index} is not in use
     * @throws ClosedChannelException if the set is closed
     */
    public void setEvents(int index, int events) throws ClosedChannelException {
        requireEvents(events);
        core.begin();
        try {
            core.requireNotWaiting("change a PollSet");
            requireInUse(index);
            userEvents[index] = events;
            writeEntry(index + 1, userFds[index], events);
        } finally {
            core.end();
        }
    }

    /**
     * Stops watching the entry at {@code index}; the index may be handed out again.
     * @param index the entry's index, as returned when it was added
     * @throws IndexOutOfBoundsException if {@code index} is not in use
     * @throws ClosedChannelException if the set is closed
     */
    public void remove(int index) throws ClosedChannelException {
        core.begin();
        try {
            core.requireNotWaiting("remove from a PollSet");
            requireInUse(index);
            userFds[index] = -1;
            userEvents[index] = 0;
            userRevents[index] = 0;
            writeEntry(index + 1, -1, 0); // poll(2) skips negative fds
            free.set(index);
            while (limit > 0 && free.get(limit - 1)) {
                free.clear(--limit);
            }
        } finally {
            core.end();
        }
    }

    /**
     * Removes every entry.
     *
     * @throws ClosedChannelException if the set is closed
     */
    public void clear() throws ClosedChannelException {
        core.begin();
        try {
            core.requireNotWaiting("clear a PollSet");
            Arrays.fill(userFds, 0, limit, -1);
            Arrays.fill(userEvents, 0, limit, 0);
            Arrays.fill(userRevents, 0, limit, 0);
            free.clear();
            limit = 0;
        } finally {
            core.end();
        }
    }

    /**
     * poll(2): waits until a watched descriptor is ready, {@code timeout} passes, or
     * {@link #wakeup()} is called. A signal handler interrupting the wait (EINTR) does not end
     * it: the wait resumes with the time that is left.
     *
     * @param timeout how long to wait: null waits forever, {@link Duration#ZERO} only looks;
     *                rounded up to whole milliseconds
     * @return the number of entries with events ({@link #revents} non-zero); 0 on timeout or wakeup
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if another thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     * @throws VpollException if poll fails (errno attached), e.g. EINVAL beyond RLIMIT_NOFILE entries
     */
    public int poll(Duration timeout) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        core.beginWait();
        try {
            return collect(WaitLoop.run(nanos, true, pollAttempt));
        } finally {
            core.endWait();
        }
    }

    private int pollOnce(long nanos) throws IOException {
        int ms = WaitLoop.millis(nanos);
        int rc = Thread.currentThread().isVirtual() && ms != 0 ? pollUnpinned(ms) : Poll.poll(fds, limit + 1L, ms);
        return WaitLoop.afterMillis(rc, ms);
    }

    /**
     * A virtual thread's poll: a look first, then the blocking call on a helper platform thread
     * while this thread parks, so the carrier stays free. wakeup() and close() still end it: they
     * write the eventfd in the array.
     */
    private int pollUnpinned(int ms) throws IOException {
        long n = limit + 1L;
        int rc = Poll.poll(fds, n, 0);
        if (rc != 0) {
            return rc;
        }
        MemorySegment array = fds;
        return Offload.run(() -> Poll.poll(array, n, ms));
    }

    /**
     * ppoll(2): like {@link #poll}, with a nanosecond timeout and {@code mask} as the thread's
     * signal mask for the duration of the wait (atomically set and restored by the kernel).
     *
     * @param timeout how long to wait: null waits forever, {@link Duration#ZERO} only looks
     * @param mask    the signal mask during the wait; null keeps the thread's mask, and then EINTR
     *                is retried as in {@link #poll}
     * @return the number of entries with events; 0 on timeout or wakeup
     * @throws SignalInterruptedException if {@code mask} is given and a signal it lets through
     *         interrupted the wait
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if another thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     * @throws VpollException if ppoll fails (errno attached)
     */
    public int ppoll(Duration timeout, SignalSet mask) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        core.beginWait();
        try {
            waitMask = mask == null ? MemorySegment.NULL : mask.segment();
            int rc = WaitLoop.run(nanos, mask == null, ppollAttempt);
            if (rc == Syscall.INTERRUPTED) {
                collect(0);
                throw new SignalInterruptedException("ppoll");
            }
            return collect(rc);
        } finally {
            waitMask = MemorySegment.NULL;
            core.endWait();
        }
    }

    private int ppollOnce(long nanos) throws IOException {
        MemorySegment ts = MemorySegment.NULL;
        if (nanos >= 0) {
            Timespec.setTimespec(timespec, nanos);
            ts = timespec;
        }
        return Poll.ppoll(fds, limit + 1L, ts, waitMask);
    }

    /**
     * Makes the wait in progress return (with 0 if nothing else is ready), or the next one if no
     * thread waits now. Any thread may call it; a no-op once the set is closed.
     *
     * @throws VpollException if writing the set's eventfd fails
     */
    public void wakeup() throws VpollException {
        core.wakeup();
    }

    /** {@return whether the last wait ended because of {@link #wakeup()} (or a close)} */
    public boolean wokenUp() {
        return wokenUp;
    }

    /**
     * {@return the events the last wait reported for {@code index}, 0 if none}
     *
     * @param index the entry's index, as returned when it was added
     */
    public int revents(int index) {
        requireIndex(index);
        return userRevents[index];
    }

    /**
     * {@return the descriptor at {@code index}, -1 if the position was removed}
     *
     * @param index the entry's index, as returned when it was added
     */
    public int fd(int index) {
        requireIndex(index);
        return userFds[index];
    }

    /**
     * {@return the events watched at {@code index}}
     *
     * @param index the entry's index, as returned when it was added
     */
    public int events(int index) {
        requireIndex(index);
        return userEvents[index];
    }

    /** {@return one past the highest index in use} */
    public int size() {
        return limit;
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

    private int collect(int rc) throws VpollException {
        int ready = rc;
        wokenUp = false;
        if (rc > 0 && Poll.revents(fds, 0) != 0) {
            ready--;
            wokenUp = true;
            core.drain();
        }
        for (int i = 0; i < limit; i++) {
            userRevents[i] = rc > 0 ? Poll.revents(fds, i + 1) : 0;
        }
        return ready;
    }

    private void writeEntry(int entry, int fd, int events) {
        Poll.set(fds, entry, fd, events);
    }

    private void ensureCapacity(int entries) {
        if (entries <= userFds.length) {
            return;
        }
        int capacity = Math.max(entries, userFds.length * 2);
        MemorySegment grown = core.arena.allocate(POLLFD_SIZE * (capacity + 1L), 8);
        MemorySegment.copy(fds, 0, grown, 0, fds.byteSize());
        fds = grown; // the old array stays in the arena until close: growth is rare and doubles
        userFds = Arrays.copyOf(userFds, capacity);
        userEvents = Arrays.copyOf(userEvents, capacity);
        userRevents = Arrays.copyOf(userRevents, capacity);
    }

    private static void requireFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
    }

    private static void requireEvents(int events) {
        if ((events & ~Poll.ALL_EVENTS) != 0) {
            throw new IllegalArgumentException("poll events are 16 bits; not expressible: 0x"
                    + Integer.toHexString(events & ~Poll.ALL_EVENTS) + " (" + Events.toString(events & ~Poll.ALL_EVENTS) + ")");
        }
    }

    private void requireIndex(int index) {
        if (index < 0 || index >= limit) {
            throw new IndexOutOfBoundsException("index " + index + " is outside 0.." + (limit - 1)
                    + " (size " + limit + ")");
        }
    }

    private void requireInUse(int index) {
        requireIndex(index);
        if (free.get(index)) {
            throw new IndexOutOfBoundsException("index " + index + " was removed");
        }
    }
}
