package org.jvpoll.wait;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Arrays;

import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.park.FdAwait;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Syscall;
import org.jvpoll.syscall.Timespec;
import org.jvpoll.syscall.WaitLoop;

/**
 * An epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}) over any descriptors, with a user
 * attachment per registration, {@code epoll_wait} and {@code epoll_pwait2}.
 *
 * <pre>{@code
 * try (EpollSet<String> epoll = EpollSet.open()) {
 *     epoll.add(vpollFd, Events.IN | EpollSet.ET, "vpoll");
 *     epoll.add(socketFd, Events.IN | Events.RDHUP, "socket");
 *     ReadyEvents<String> ready = epoll.await(Duration.ofSeconds(1));
 *     for (int i = 0; i < ready.count(); i++) {
 *         System.out.println(ready.attachment(i) + ": " + Events.toString(ready.events(i)));
 *     }
 * }
 * }</pre>
 *
 * <p><b>Flags</b> ({@link #ET}, {@link #ONESHOT}, {@link #EXCLUSIVE}, {@link #WAKEUP}) are or-ed
 * into the events, with Linux's values. The kernel's rules are checked first, with an
 * {@link IllegalArgumentException} that says which: EXCLUSIVE only in {@link #add}, only with
 * IN, OUT, ERR, HUP, WAKEUP and ET, and a registration added with EXCLUSIVE can never be
 * {@link #modify modified}. WAKEUP needs CAP_BLOCK_SUSPEND; without it the kernel drops the flag
 * silently.
 *
 * <p><b>Attachments</b> are kept in a table; epoll_data carries the table slot and a generation
 * number, so a wait costs O(ready events), allocates nothing, and an event that a concurrent
 * {@link #delete} made stale is dropped instead of reported with another registration's
 * attachment. The set holds no reference to a descriptor: closing a descriptor removes it from the
 * epoll set in the kernel (once no duplicate is open); its table entry is recycled on the next
 * {@link #add} of that number, or by {@link #delete}.
 *
 * <p><b>Signals.</b> {@link #await(Duration)} retries EINTR with the time left;
 * {@link #await(Duration, SignalSet)} with a mask throws {@link SignalInterruptedException}.
 *
 * <p><b>Threads.</b> Registration ({@link #add}, {@link #modify}, {@link #delete}),
 * {@link #wakeup()} and {@link #close()} are thread-safe and may run while another thread waits
 * (epoll itself is). One thread waits at a time: a second concurrent {@code await} throws
 * {@link IllegalStateException} (for several waiting threads, give each its own set — that is
 * also how {@link #EXCLUSIVE} works). The {@link ReadyEvents} is reused by each wait: read it in
 * the waiting thread before it waits again. On a virtual thread {@link #await(Duration)} does
 * not pin the carrier: it parks on the epoll fd through jvpoll's poller; the masked
 * {@link #await(Duration, SignalSet)} blocks the carrier. See {@code docs/wait.md}.
 *
 * <p><b>Close</b> releases the epoll fd, the internal wakeup eventfd and memory, never the
 * registered descriptors; a thread waiting at that moment returns (with {@code wokenUp()}).
 * Afterwards registration and waits throw {@link ClosedChannelException}; {@link #wakeup()} and
 * {@link #close()} do nothing; the queries ({@link #fd()}, {@link #size()}, {@link #attachment})
 * answer with the last state.
 *
 * @param <A> the attachment type
 */
public final class EpollSet<A> implements AutoCloseable {
    /** EPOLLET: edge-triggered, report only changes. */
    public static final int ET = Epoll.EPOLLET;
    /** EPOLLONESHOT: disable the registration after one event; {@link #modify} re-arms it. */
    public static final int ONESHOT = Epoll.EPOLLONESHOT;
    /** EPOLLEXCLUSIVE: of several epoll sets waiting on one fd, wake one or more, not all (add only). */
    public static final int EXCLUSIVE = Epoll.EPOLLEXCLUSIVE;
    /** EPOLLWAKEUP: hold a wakeup source while events are pending (needs CAP_BLOCK_SUSPEND). */
    public static final int WAKEUP = Epoll.EPOLLWAKEUP;
    /** Events and flags that may accompany {@link #EXCLUSIVE}. */
    private static final int EXCLUSIVE_OK = Epoll.EXCLUSIVE_OK_BITS;
    /** Ready events one wait reports at most, unless {@link #open(int)} says otherwise. */
    public static final int DEFAULT_MAX_EVENTS = 64;

    /** epoll_data of the wakeup eventfd; registrations use (generation &lt;&lt; 32 | slot), generation &gt;= 1. */
    private static final long WAKE_DATA = 0;

    private final WaitCore core;
    private final int epfd;
    private final int maxEvents;
    private final MemorySegment eventBuffer;
    private final MemorySegment ctlScratch;
    private final MemorySegment time;
    /** The waits' attempts, made once: a wait must not allocate. */
    private final WaitLoop.Attempt waitAttempt = this::waitOnce;
    private final WaitLoop.Attempt parkedAttempt = this::parkedOnce;
    private final WaitLoop.Attempt pwait2Attempt = this::pwait2Once;
    /** epoll_pwait2's signal mask for the wait in progress (NULL: the thread's mask stays). */
    private MemorySegment waitMask = MemorySegment.NULL;
    private final ReadyEvents<A> ready;

    /** Guards the registration table and ctlScratch. */
    private final Object lock = new Object();
    private int[] slotFd = new int[16];
    private int[] slotGeneration = new int[16];
    private int[] slotEvents = new int[16];
    private Object[] slotAttachment = new Object[16];
    private int[] freeSlots = new int[16];
    private int freeCount;
    private int slotLimit;
    /** fd number -&gt; slot + 1 (0: none). */
    private int[] fdSlot = new int[64];
    private int registered;

    private EpollSet(int maxEvents) throws VpollException {
        this.maxEvents = maxEvents;
        core = new WaitCore("EpollSet");
        int fd;
        try {
            fd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        } catch (VpollException e) {
            core.close();
            throw e;
        }
        epfd = fd;
        core.own(fd);
        eventBuffer = core.arena.allocate(Epoll.EVENT_SIZE * maxEvents, 8);
        ctlScratch = core.arena.allocate(Epoll.EVENT_SIZE, 8);
        time = core.arena.allocate(Timespec.SIZE, 8);
        ready = new ReadyEvents<>(maxEvents);
        try {
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, core.wakeFd, Events.IN, WAKE_DATA, ctlScratch);
        } catch (VpollException e) {
            core.close();
            throw e;
        }
    }

    /**
     * Creates an epoll set (close-on-exec) reporting up to {@link #DEFAULT_MAX_EVENTS} per wait.
     * @param <A> the type of the attachments
     * @return the new set, which the caller closes
     * @throws VpollException if epoll_create1 or the wakeup eventfd fails (errno attached)
     */
    public static <A> EpollSet<A> open() throws VpollException {
        return new EpollSet<>(DEFAULT_MAX_EVENTS);
    }

    /**
     * Creates an epoll set reporting up to {@code maxEvents} ready registrations per wait (more stay
     * pending for the next wait; the kernel rotates through them). A wait that also collects a
     * {@link #wakeup()} reports one fewer.
     * @param <A> the type of the attachments
     * @param maxEvents the most events one wait returns
     * @return the new set, which the caller closes
     * @throws IllegalArgumentException if {@code maxEvents} is not in 1 .. 2^20
     * @throws VpollException if epoll_create1 or the wakeup eventfd fails (errno attached)
     */
    public static <A> EpollSet<A> open(int maxEvents) throws VpollException {
        if (maxEvents < 1 || maxEvents > (1 << 20)) {
            throw new IllegalArgumentException("maxEvents must be in 1.." + (1 << 20) + ": " + maxEvents);
        }
        return new EpollSet<>(maxEvents);
    }

    /**
     * EPOLL_CTL_ADD: watches {@code fd} for {@code events} (and flags), with {@code attachment}.
     *
     * @param fd the file descriptor
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @param attachment what the wait returns with the fd's ready events
     * @throws IllegalArgumentException if {@code fd} is negative or the set's own, or the flags
     *         break a kernel rule (see the class comment)
     * @throws VpollException if epoll_ctl fails: EEXIST if {@code fd} is already registered,
     *         EBADF if it is not open, EPERM if it does not support polling (a regular file),
     *         ELOOP/EINVAL for epoll nesting errors
     * @throws ClosedChannelException if the set is closed
     */
    public void add(int fd, int events, A attachment) throws IOException {
        requireFd(fd);
        if ((events & EXCLUSIVE) != 0 && (events & ~EXCLUSIVE_OK) != 0) {
            throw new IllegalArgumentException("EXCLUSIVE cannot be combined with "
                    + describe(events & ~EXCLUSIVE_OK) + " (the kernel allows only IN, OUT, ERR, HUP, WAKEUP and ET)");
        }
        synchronized (lock) {
            core.begin();
            try {
                requireNotOwn(fd);
                int previous = slotOf(fd);
                int slot = allocateSlot();
                int generation = slotGeneration[slot];
                try {
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, events, data(slot, generation), ctlScratch);
                } catch (VpollException e) {
                    freeSlot(slot);
                    throw e;
                }
                if (previous >= 0) {
                    // the kernel accepted fd again, so the old entry's descriptor was closed meanwhile
                    unmap(fd, previous);
                }
                slotFd[slot] = fd;
                slotEvents[slot] = events;
                slotAttachment[slot] = attachment;
                map(fd, slot);
                registered++;
            } finally {
                core.end();
            }
        }
    }

    /**
     * Registers a vpoll fd (not kept open by the set; closing it removes it from the kernel's set).
     * @param vpoll the vpoll fd (pinned open while the wait uses its descriptor)
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @param attachment what the wait returns with the fd's ready events
     * @throws ClosedChannelException if the set or {@code vpoll} is closed
     * @see #add(int, int, Object)
     */
    public void add(VpollFd vpoll, int events, A attachment) throws IOException {
        add(VpollFds.openFd(vpoll), events, attachment);
    }

    /**
     * EPOLL_CTL_MOD: replaces the events (and flags) and the attachment of {@code fd}; re-arms a
     * {@link #ONESHOT} registration.
     *
     * @param fd the file descriptor
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @param attachment what the wait returns with the fd's ready events
     * @throws IllegalArgumentException if {@code events} has {@link #EXCLUSIVE}, or {@code fd} was
     *         added with it (the kernel refuses both)
     * @throws VpollException ENOENT if {@code fd} is not registered here (also when it was closed
     *         and so left the epoll set)
     * @throws ClosedChannelException if the set is closed
     */
    public void modify(int fd, int events, A attachment) throws IOException {
        requireFd(fd);
        if ((events & EXCLUSIVE) != 0) {
            throw new IllegalArgumentException("EXCLUSIVE can only be given to add (EPOLL_CTL_MOD with it is EINVAL)");
        }
        synchronized (lock) {
            core.begin();
            try {
                int slot = requireSlot(fd, "EPOLL_CTL_MOD");
                if ((slotEvents[slot] & EXCLUSIVE) != 0) {
                    throw new IllegalArgumentException("fd " + fd + " was added with EXCLUSIVE, which the kernel"
                            + " never lets EPOLL_CTL_MOD change; delete it and add it again");
                }
                try {
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, fd, events, data(slot, slotGeneration[slot]), ctlScratch);
                } catch (VpollException e) {
                    forgetIfGone(fd, slot, e);
                    throw e;
                }
                slotEvents[slot] = events;
                slotAttachment[slot] = attachment;
            } finally {
                core.end();
            }
        }
    }

    /**
     * Modifies a vpoll fd's registration.
     * @param vpoll the vpoll fd (pinned open while the wait uses its descriptor)
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @param attachment what the wait returns with the fd's ready events
     * @throws ClosedChannelException if the set or {@code vpoll} is closed
     * @see #modify(int, int, Object)
     */
    public void modify(VpollFd vpoll, int events, A attachment) throws IOException {
        modify(VpollFds.openFd(vpoll), events, attachment);
    }

    /**
     * EPOLL_CTL_DEL: stops watching {@code fd}; events already collected for it are dropped.
     *
     * @param fd the file descriptor
     * @throws VpollException ENOENT if {@code fd} is not registered here, EBADF if it was closed
     *         (its entry is forgotten either way)
     * @throws ClosedChannelException if the set is closed
     */
    public void delete(int fd) throws IOException {
        requireFd(fd);
        synchronized (lock) {
            core.begin();
            try {
                int slot = requireSlot(fd, "EPOLL_CTL_DEL");
                try {
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0, ctlScratch);
                } catch (VpollException e) {
                    forgetIfGone(fd, slot, e);
                    throw e;
                }
                unmap(fd, slot);
            } finally {
                core.end();
            }
        }
    }

    /**
     * Deletes a vpoll fd's registration (delete before closing it: after the close its number may
     * already name another descriptor).
     * @param vpoll the vpoll fd (pinned open while the wait uses its descriptor)
     * @throws ClosedChannelException if the set or {@code vpoll} is closed
     * @see #delete(int)
     */
    public void delete(VpollFd vpoll) throws IOException {
        delete(VpollFds.openFd(vpoll));
    }

    /**
     * epoll_wait(2): waits until a registration is ready, {@code timeout} passes, or
     * {@link #wakeup()} is called. A signal handler interrupting the wait (EINTR) does not end it:
     * the wait resumes with the time that is left.
     *
     * @param timeout null waits forever, {@link Duration#ZERO} only looks; rounded up to milliseconds
     * @return this set's {@link ReadyEvents}, refilled (count 0 on timeout or wakeup)
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if another thread is waiting on this set
     * @throws ClosedChannelException if the set is closed
     * @throws VpollException if epoll_wait fails (errno attached)
     */
    public ReadyEvents<A> await(Duration timeout) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        if (nanos != 0 && Thread.currentThread().isVirtual()) {
            return awaitParked(nanos);
        }
        core.beginWait();
        try {
            return collect(WaitLoop.run(nanos, true, waitAttempt));
        } finally {
            core.endWait();
        }
    }

    private int waitOnce(long nanos) throws IOException {
        int ms = WaitLoop.millis(nanos);
        return WaitLoop.afterMillis(Epoll.wait(epfd, eventBuffer, maxEvents, ms), ms);
    }

    /**
     * A virtual thread's wait: look (epoll_wait with timeout 0); if nothing is ready, park on the
     * epoll fd itself (readable while it has ready registrations, the wakeup eventfd included)
     * through the poller, and look again. The set is pinned open for the whole wait, so the
     * poller's registration never outlives the epoll fd's number.
     */
    private ReadyEvents<A> awaitParked(long nanos) throws IOException {
        core.beginWait();
        try {
            int rc = Epoll.wait(epfd, eventBuffer, maxEvents, 0);
            return collect(rc > 0 ? rc : WaitLoop.run(nanos, true, parkedAttempt));
        } finally {
            core.endWait();
        }
    }

    /** Parks for up to {@code nanos}, then looks again. */
    private int parkedOnce(long nanos) throws IOException {
        // not interruptible: as on a platform thread, an interrupt does not end a set's wait
        FdAwait.await(epfd, Events.IN, nanos, null, false);
        int rc = Epoll.wait(epfd, eventBuffer, maxEvents, 0);
        return rc > 0 ? rc : WaitLoop.AGAIN;
    }

    /**
     * epoll_pwait2(2) (Linux 5.11): like {@link #await(Duration)}, with a nanosecond timeout and
     * {@code mask} as the thread's signal mask during the wait.
     *
     * @param timeout how long to wait: {@code null} without limit, zero not at all
     * @param mask the signal mask during the wait; null keeps the thread's mask (EINTR retried)
     * @throws SignalInterruptedException if {@code mask} is given and a signal it lets through
     *         interrupted the wait
     * @return the ready events, valid until the next wait
     * @throws VpollException ENOSYS if the kernel or C library has no epoll_pwait2
     * @see #await(Duration)
     */
    public ReadyEvents<A> await(Duration timeout, SignalSet mask) throws IOException {
        long nanos = Timeouts.nanos(timeout);
        core.beginWait();
        try {
            waitMask = mask == null ? MemorySegment.NULL : mask.segment();
            int rc = WaitLoop.run(nanos, mask == null, pwait2Attempt);
            if (rc == Syscall.INTERRUPTED) {
                collect(0);
                throw new SignalInterruptedException("epoll_pwait2");
            }
            return collect(rc);
        } finally {
            waitMask = MemorySegment.NULL;
            core.endWait();
        }
    }

    private int pwait2Once(long nanos) throws IOException {
        MemorySegment ts = MemorySegment.NULL;
        if (nanos >= 0) {
            Timespec.setTimespec(time, nanos);
            ts = time;
        }
        return Epoll.pwait2(epfd, eventBuffer, maxEvents, ts, waitMask);
    }

    /**
     * Makes the wait in progress return (with whatever else is ready), or the next one if no thread
     * waits now. Any thread may call it; it is not reported as an event; a no-op once closed.
     *
     * @throws VpollException if writing the internal eventfd fails
     */
    public void wakeup() throws VpollException {
        core.wakeup();
    }

    /** {@return the epoll descriptor, e.g. to nest this set in another epoll set or hand to native code} */
    public int fd() {
        return epfd;
    }

    /**
     * {@return whether {@code fd} has a registration in this set (as far as the set knows)}
     *
     * @param fd the file descriptor
     */
    public boolean isRegistered(int fd) {
        synchronized (lock) {
            return fd >= 0 && slotOf(fd) >= 0;
        }
    }

    /**
     * {@return the attachment of {@code fd}'s registration, or null if it has none}
     *
     * @param fd the file descriptor
     */
    public A attachment(int fd) {
        synchronized (lock) {
            int slot = fd < 0 ? -1 : slotOf(fd);
            @SuppressWarnings("unchecked")
            A a = slot < 0 ? null : (A) slotAttachment[slot];
            return a;
        }
    }

    /** {@return how many registrations the set holds (closed-but-not-deleted descriptors included)} */
    public int size() {
        synchronized (lock) {
            return registered;
        }
    }

    /** {@return false once {@link #close()} has been called} */
    public boolean isOpen() {
        return core.isOpen();
    }

    /** For tests in this package: the set's own descriptors. */
    WaitCore core() {
        return core;
    }

    /** Releases the epoll fd, the wakeup eventfd and memory (not the registered fds). Idempotent. */
    @Override
    public void close() {
        core.close();
    }

    private ReadyEvents<A> collect(int rc) throws VpollException {
        ready.reset();
        synchronized (lock) {
            for (int i = 0; i < rc; i++) {
                long data = Epoll.data(eventBuffer, i);
                if (data == WAKE_DATA) {
                    ready.markWokenUp();
                    core.drain();
                    continue;
                }
                int slot = (int) data;
                int generation = (int) (data >>> 32);
                if (slot < slotLimit && slotGeneration[slot] == generation && slotFd[slot] >= 0) {
                    ready.put(slotFd[slot], Epoll.events(eventBuffer, i), slotAttachment[slot]);
                }
            }
        }
        return ready;
    }

    private static long data(int slot, int generation) {
        return ((long) generation << 32) | (slot & 0xffffffffL);
    }

    private int allocateSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (slotLimit == slotFd.length) {
            int n = slotFd.length * 2;
            slotFd = Arrays.copyOf(slotFd, n);
            slotGeneration = Arrays.copyOf(slotGeneration, n);
            slotEvents = Arrays.copyOf(slotEvents, n);
            slotAttachment = Arrays.copyOf(slotAttachment, n);
            freeSlots = Arrays.copyOf(freeSlots, n);
        }
        int slot = slotLimit++;
        slotFd[slot] = -1;
        slotGeneration[slot] = 1;
        return slot;
    }

    private void freeSlot(int slot) {
        slotFd[slot] = -1;
        slotEvents[slot] = 0;
        slotAttachment[slot] = null;
        int next = slotGeneration[slot] + 1;
        slotGeneration[slot] = next == 0 ? 1 : next; // generation 0 would collide with WAKE_DATA
        freeSlots[freeCount++] = slot;
    }

    private int slotOf(int fd) {
        return fd < fdSlot.length ? fdSlot[fd] - 1 : -1;
    }

    private void map(int fd, int slot) {
        if (fd >= fdSlot.length) {
            fdSlot = Arrays.copyOf(fdSlot, Math.max(fd + 1, fdSlot.length * 2));
        }
        fdSlot[fd] = slot + 1;
    }

    private void unmap(int fd, int slot) {
        fdSlot[fd] = 0;
        freeSlot(slot);
        registered--;
    }

    private int requireSlot(int fd, String op) throws VpollException {
        int slot = slotOf(fd);
        if (slot < 0) {
            throw new VpollException("epoll_ctl(" + epfd + ", " + op + ", fd " + fd + ")", Errno.ENOENT,
                    "fd " + fd + " is not registered in this EpollSet");
        }
        return slot;
    }

    /** The kernel dropped a registration whose descriptor was closed; forget it here too. */
    private void forgetIfGone(int fd, int slot, VpollException e) {
        if (e.errno() == Errno.ENOENT || e.errno() == Errno.EBADF) {
            unmap(fd, slot);
        }
    }

    private static void requireFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
    }

    /** Call while open (between begin and end): after close these numbers belong to others. */
    private void requireNotOwn(int fd) {
        if (fd == epfd || fd == core.wakeFd) {
            throw new IllegalArgumentException("fd " + fd + " is this EpollSet's own "
                    + (fd == epfd ? "epoll fd" : "wakeup eventfd"));
        }
    }

    private static String describe(int bits) {
        StringBuilder sb = new StringBuilder();
        if ((bits & ONESHOT) != 0) {
            sb.append("ONESHOT|");
        }
        int events = bits & Events.ALL;
        if (events != 0) {
            sb.append(Events.toString(events)).append('|');
        }
        return sb.length() == 0 ? "0x" + Integer.toHexString(bits) : sb.substring(0, sb.length() - 1);
    }
}
