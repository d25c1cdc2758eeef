package org.jvpoll.park;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Unistd;

/**
 * The process's poller: one platform daemon thread in {@code epoll_wait} on a private epoll fd
 * that unparks virtual threads whose descriptor became ready (the JDK's design for its own
 * sockets). Each waiting thread has its own registration, added with {@code EPOLLONESHOT} and
 * level-triggered, so readiness that exists when it is added is reported at once: a change made
 * between the waiter's first look and its registration is never missed.
 *
 * <p>Registrations are keyed by a unique id in {@code epoll_data}, never by descriptor number, so
 * an event the poller collected for a registration that is being removed is simply dropped.
 * Registration is by the caller's descriptor number; a second waiter on the same open file
 * description and number (EEXIST) registers a dup of it instead.
 */
public final class Poller {
    private static final System.Logger LOG = System.getLogger("org.jvpoll");
    private static final int BATCH = 256;
    /** F_DUPFD_CLOEXEC: a duplicate that does not leak into exec'd children. */
    private static final int F_DUPFD_CLOEXEC = 1030;


    private final int epfd;
    private final ConcurrentHashMap<Long, ParkedWait> waits = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ThreadLocal<MemorySegment> ctlScratch =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Epoll.EVENT_SIZE, 8));

    private Poller(int epfd) {
        this.epfd = epfd;
    }

    private static Poller start() {
        int fd;
        try {
            fd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        } catch (VpollException e) {
            throw new IllegalStateException("jvpoll: cannot create the virtual-thread poller's epoll fd", e);
        }
        Poller p = new Poller(fd);
        Thread.ofPlatform().daemon(true).name("jvpoll-poller").start(p::run);
        return p;
    }

    private static volatile Poller instance;
    private static final java.util.concurrent.locks.ReentrantLock START = new java.util.concurrent.locks.ReentrantLock();

    /**
     * @return the poller, started on first use. Not a lazy holder class: a virtual thread that
     *         waits for another thread's class initialization pins its carrier, and the first
     *         awaits of many virtual threads at once would all wait there; a ReentrantLock parks them.
     */
    static Poller get() {
        Poller p = instance;
        if (p != null) {
            return p;
        }
        START.lock();
        try {
            if (instance == null) {
                instance = start();
            }
            return instance;
        } finally {
            START.unlock();
        }
    }

    private void run() {
        // The event buffer is this thread's alone, for the life of the process.
        MemorySegment events = Arena.global().allocate(Epoll.EVENT_SIZE * BATCH, 8);
        for (;;) {
            int n;
            try {
                n = Epoll.wait(epfd, events, BATCH, -1);
            } catch (VpollException e) {
                // epoll_wait on our own, never-closed fd fails only on a kernel-level problem;
                // log it and keep serving rather than strand every parked thread.
                LOG.log(Level.ERROR, "jvpoll poller: epoll_wait failed", e);
                continue;
            }
            for (int i = 0; i < n; i++) {
                ParkedWait w = waits.get(Epoll.data(events, i));
                if (w != null) {
                    w.fire(Epoll.events(events, i));
                }
            }
        }
    }

    /** @return a new wait for the current thread, not yet registered */
    ParkedWait newWait() {
        return new ParkedWait(Thread.currentThread(), ids.incrementAndGet());
    }

    /**
     * Registers {@code w} for {@code events} on {@code fd} (one-shot, level-triggered). The
     * caller keeps {@code fd} open until {@link #deregister}.
     *
     * @throws VpollException if epoll_ctl or the dup fails (EBADF, EPERM for a regular file, ...)
     */
    void register(ParkedWait w, int fd, int events) throws VpollException {
        MemorySegment scratch = ctlScratch.get();
        int flags = events | Epoll.EPOLLONESHOT;
        waits.put(w.id, w);
        try {
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, flags, w.id, scratch);
                w.registeredFd = fd;
                return;
            } catch (VpollException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
            }
            // Another thread waits on this descriptor now: the dup is a registration of our own.
            int copy = Unistd.fcntl(fd, F_DUPFD_CLOEXEC, 0);
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, copy, flags, w.id, scratch);
            } catch (VpollException e) {
                Unistd.closeQuietly(copy);
                throw e;
            }
            w.registeredFd = copy;
            w.dup = true;
        } catch (VpollException | RuntimeException e) {
            waits.remove(w.id);
            throw e;
        }
    }

    /**
     * Removes {@code w}'s registration (EPOLL_CTL_DEL before any close: epoll drops a
     * registration by itself only when the last descriptor of the file goes) and closes its dup.
     */
    void deregister(ParkedWait w) {
        int fd = w.registeredFd;
        if (fd >= 0) {
            try {
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0, ctlScratch.get());
            } catch (VpollException e) {
                // ENOENT/EBADF: the caller closed its descriptor during the wait (against the
                // contract), which removed the registration with the file; nothing is left.
                if (e.errno() != Errno.ENOENT && e.errno() != Errno.EBADF) {
                    LOG.log(Level.WARNING, "jvpoll poller: removing the registration of fd " + fd + " failed", e);
                }
            }
            if (w.dup) {
                Unistd.closeQuietly(fd);
            }
            w.registeredFd = -1;
        }
        waits.remove(w.id);
    }

    /** For tests: whether {@code thread} is registered with the poller right now. */
    public static boolean isRegistered(Thread thread) {
        for (ParkedWait w : get().waits.values()) {
            if (w.thread == thread) {
                return true;
            }
        }
        return false;
    }

    /** For tests and benchmarks: registrations alive right now. */
    public static int registrations() {
        return get().waits.size();
    }
}
