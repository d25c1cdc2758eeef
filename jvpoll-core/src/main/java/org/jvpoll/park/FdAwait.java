package org.jvpoll.park;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.syscall.WaitLoop;

/**
 * Waiting for events on one descriptor: parked through the {@link Poller} on a virtual thread,
 * poll(2) on a platform thread.
 *
 * <p>On a virtual thread: a zero-timeout poll(2) first (an event already set is returned at once),
 * then a one-shot registration with the poller, then {@link LockSupport#parkNanos}; the poller,
 * a close of the vpoll file, an interrupt or the timeout unpark it, and the registration is
 * removed before the wait returns or throws. On a platform thread: poll(2) with the timeout,
 * EINTR retried with the time left, plus an eventfd of the await's own when a vpoll file's close
 * must end the wait.
 */
public final class FdAwait {
    private FdAwait() {}

    /** What an await may ask for: poll's 16 bits, less NVAL (an answer, not a request). */
    public static final int AWAITABLE = Poll.ALL_EVENTS & ~Events.NVAL;
    /** Reported whether asked for or not, as poll(2) does. */
    private static final int ALWAYS = Events.ERR | Events.HUP;
    /** "Wait forever". */
    public static final long INFINITE = WaitLoop.INFINITE;
    private static final long MAX_SECONDS = Long.MAX_VALUE / 2 / 1_000_000_000L;

    /**
     * @return {@code timeout} in nanoseconds, {@link #INFINITE} for null or one too long to represent
     * @throws IllegalArgumentException if negative
     */
    public static long nanos(Duration timeout) {
        if (timeout == null) {
            return INFINITE;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        return timeout.getSeconds() >= MAX_SECONDS ? INFINITE : timeout.toNanos();
    }

    /** @throws IllegalArgumentException if {@code events} is 0 or has bits an await cannot wait for */
    public static void requireEvents(int events) {
        if (events == 0) {
            throw new IllegalArgumentException("events must name at least one event (IN, OUT, PRI, ERR, HUP, ...): 0");
        }
        int bad = events & ~AWAITABLE;
        if (bad != 0) {
            throw new IllegalArgumentException("events 0x" + Integer.toHexString(bad) + " (" + Events.toString(bad)
                    + ") cannot be awaited: poll(2) and epoll report only the 16 bits 0xffff, less NVAL");
        }
    }

    /**
     * Waits until {@code fd} has one of {@code events}, ERR or HUP.
     *
     * @param fd            an open descriptor; the caller keeps it open (for a vpoll file: pinned)
     * @param nanos         {@link #INFINITE}, 0 (only look) or a timeout
     * @param file          the vpoll file whose close ends the wait, or null
     * @param interruptible whether an interrupt of a virtual thread ends the wait with
     *                      {@link InterruptedIOException}; if not, the interrupt is kept for later
     * @return the events ready (requested ones, plus ERR and HUP), 0 on timeout
     */
    public static int await(int fd, int events, long nanos, VpollFile file, boolean interruptible) throws IOException {
        return Thread.currentThread().isVirtual()
                ? parked(fd, events, nanos, file, interruptible)
                : blocking(fd, events, nanos, file);
    }

    private static int parked(int fd, int events, long nanos, VpollFile file, boolean interruptible) throws IOException {
        Thread self = Thread.currentThread();
        if (interruptible && self.isInterrupted()) {
            throw interrupted();
        }
        int ready = pollNow(fd, events);
        if (ready != 0 || nanos == 0) {
            return ready;
        }
        long deadline = System.nanoTime() + nanos;
        Poller poller = Poller.get();
        ParkedWait w = poller.newWait();
        Runnable closeWaker = w::wake;
        boolean keepInterrupt = false;
        if (file != null) {
            file.addCloseWaker(closeWaker);
        }
        try {
            poller.register(w, fd, events);
            try {
                for (;;) {
                    if (w.fired()) {
                        return w.revents() & (events | ALWAYS);
                    }
                    if (file != null && !file.isOpen()) {
                        throw file.closed("await");
                    }
                    if (Thread.interrupted()) {
                        if (interruptible) {
                            self.interrupt(); // the status stays set, as the JDK's interruptible I/O leaves it
                            throw interrupted();
                        }
                        keepInterrupt = true; // park would return at once while the status is set
                        continue;
                    }
                    if (nanos < 0) {
                        LockSupport.park(w);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return w.fired() ? w.revents() & (events | ALWAYS) : 0;
                        }
                        LockSupport.parkNanos(w, left);
                    }
                }
            } finally {
                poller.deregister(w);
            }
        } finally {
            if (file != null) {
                file.removeCloseWaker(closeWaker);
            }
            if (keepInterrupt) {
                self.interrupt();
            }
        }
    }

    private static InterruptedIOException interrupted() {
        return new InterruptedIOException("await interrupted: Thread.interrupt() on the waiting virtual thread");
    }

    /** @return the events ready now (0 if none); EBADF if {@code fd} is not open */
    private static int pollNow(int fd, int events) throws VpollException {
        int revents = Poll.pollOne(fd, events, 0);
        if ((revents & Events.NVAL) != 0) {
            throw new VpollException("poll(fd " + fd + ")", Errno.EBADF, "fd " + fd + " is not open");
        }
        return revents & (events | ALWAYS);
    }

    private static int blocking(int fd, int events, long nanos, VpollFile file) throws IOException {
        if (nanos == 0) {
            return pollNow(fd, events); // only a look: no close can need waking
        }
        PollMemory p = POLL_MEMORY.get();
        // A vpoll file's close must end the wait: poll(2) also watches an eventfd of this await's
        // own, which the close writes. Made per await and closed with it, so no descriptor
        // outlives the call (a per-thread one would be closed whenever GC found the thread gone).
        CloseWake wake = file == null ? null : new CloseWake();
        if (wake != null) {
            file.addCloseWaker(wake);
        }
        try {
            p.start(fd, events, wake == null ? -1 : wake.fd, file);
            return WaitLoop.run(nanos, true, p);
        } finally {
            p.start(-1, 0, -1, null); // keeps no file reachable from the thread
            if (wake != null) {
                file.removeCloseWaker(wake);
                wake.close();
            }
        }
    }

    private static final MemorySegment ONE = Arena.global().allocate(JAVA_LONG);

    static {
        ONE.set(JAVA_LONG, 0, 1L);
    }

    private static final ThreadLocal<PollMemory> POLL_MEMORY = ThreadLocal.withInitial(PollMemory::new);

    /** One await's eventfd, written by a close; the lock keeps a late close from writing to a closed (reused) number. */
    private static final class CloseWake implements Runnable {
        final int fd;
        private boolean closed;

        CloseWake() throws VpollException {
            fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        }

        @Override
        public synchronized void run() {
            if (!closed) {
                try {
                    Unistd.write(fd, ONE, 8, "write(await wakeup eventfd)"); // WOULD_BLOCK: already pending
                } catch (VpollException ignored) {
                    // cannot happen on a live eventfd; the waiter still has its timeout
                }
            }
        }

        synchronized void close() {
            closed = true;
            Unistd.closeQuietly(fd);
        }
    }

    /** A platform thread's pollfd array and one await's inputs, reused by its awaits. */
    private static final class PollMemory implements WaitLoop.Attempt {
        private final MemorySegment fds = Arena.ofAuto().allocate(Poll.POLLFD_SIZE * 2, 8);
        private final MemorySegment drain = Arena.ofAuto().allocate(JAVA_LONG);
        private int fd;
        private int events;
        /** The close-wake eventfd, -1 if none. */
        private int wakeFd;
        private VpollFile file;

        void start(int fd, int events, int wakeFd, VpollFile file) {
            this.fd = fd;
            this.events = events;
            this.wakeFd = wakeFd;
            this.file = file;
        }

        /** @return the awaited events, 0 on timeout, or as {@link WaitLoop.Attempt} says */
        @Override
        public int attempt(long nanos) throws IOException {
            if (file != null && !file.isOpen()) {
                throw file.closed("await");
            }
            int ms = WaitLoop.millis(nanos);
            Poll.set(fds, 0, fd, events);
            long n = 1;
            if (wakeFd >= 0) {
                Poll.set(fds, 1, wakeFd, Events.IN);
                n = 2;
            }
            int rc = Poll.poll(fds, n, ms);
            if (rc <= 0) {
                return WaitLoop.afterMillis(rc, ms);
            }
            int revents = Poll.revents(fds, 0);
            if (wakeFd >= 0 && Poll.revents(fds, 1) != 0) {
                Unistd.read(wakeFd, drain, 8, "read(await wakeup eventfd)");
                if (revents == 0) {
                    return WaitLoop.AGAIN; // a close: the next attempt's isOpen check throws
                }
            }
            if ((revents & Events.NVAL) != 0) {
                throw new VpollException("poll(fd " + fd + ")", Errno.EBADF, "fd " + fd + " is not open");
            }
            return revents & (events | ALWAYS);
        }
    }
}
