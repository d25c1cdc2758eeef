package org.jvpoll.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Fuse;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Unistd;

/**
 * The daemon side of a FUSE file system whose root is one regular file that behaves like
 * {@code /dev/vpoll}: every open(2) is a fresh vpoll instance holding a 28-bit event mask.
 *
 * <ul>
 * <li>{@code ioctl(fd, _IO('^', op), events)}, op 1 ADD, 2 DEL, 3 SET: applies the change and
 *     returns the new mask (the vpoll module's ABI). Another {@code '^'} number fails with EINVAL,
 *     as in the module; an ioctl of another type fails with ENOTTY.</li>
 * <li>an 8-byte write of {@code (op << 32) | events} applies the change; an 8-byte read returns the
 *     mask (the EFD_VPOLL protocol). Other sizes and ops fail with EINVAL.</li>
 * <li>poll/select/epoll: FUSE_POLL is answered with the mask. The kernel keeps only
 *     {@link Fuse#POLL_VISIBLE} of it; ioctl and read still return all 28 bits.</li>
 * </ul>
 *
 * <p><b>Wake-ups.</b> The module wakes an instance's waiters on every change. Here a waiter exists
 * only where the kernel asked for a notification (FUSE_POLL with FUSE_POLL_SCHEDULE_NOTIFY, sent
 * whenever the file has waiters); the first change after such a poll that leaves a bit pollers
 * can see sends FUSE_NOTIFY_POLL for the poll handle, which wakes every waiter, and they poll
 * again (re-arming). Changes while no poll re-armed are seen by the re-poll that the previous
 * notification already caused, so every waiter observes every change it could observe with the
 * module, including a new edge for edge-triggered epoll, without a notification per change when
 * nobody waits. A change to an empty (or invisible) mask sends nothing: the module's wake-up
 * would only make the waiters re-poll and find no event.
 *
 * <p><b>Threads.</b> {@code readers} platform threads block in read(2) on /dev/fuse; the kernel
 * hands each request to one of them. Changes made directly in memory ({@link VpollInstance#ctl})
 * send their notification from the calling thread. The descriptor is closed when the kernel ends
 * the connection (ENODEV: unmounted and the last open file closed, or aborted).
 *
 * <p><b>Parts.</b> This class is the session: its threads, INIT and termination, the wake-ups.
 * {@link VpollRequests} dispatches requests, {@link FuseChannel} is the wire codec (over the
 * {@link Fuse} layouts), {@link VpollInstance} the state of one open file.
 */
public final class VpollFileSystem {
    private static final System.Logger LOG = System.getLogger("org.jvpoll.fuse");

    /** jvpoll's own ioctl: {@code _IO('^', 0x4a)} returns the instance number of the fd. */
    public static final int IOCTL_INSTANCE_NR = 0x4a;
    public static final long IOCTL_INSTANCE = Ioctl.io('^', IOCTL_INSTANCE_NR);

    /**
     * @param fileMode             permission bits of the served file (for example 0600, 0666)
     * @param uid                  owner reported for the file
     * @param gid                  group reported for the file
     * @param readers              threads reading /dev/fuse (at least 1)
     * @param requestTimeoutSeconds asked of the kernel (FUSE 7.43+): a request the daemon leaves
     *                             unanswered that long aborts the connection; 0 = never
     * @param spinMicros           after each wake-up it sends, a responder thread reads a
     *                             non-blocking clone of /dev/fuse for this long (extended while
     *                             requests come), so the woken waiters' re-polls find a running
     *                             thread instead of waking one; 0 = no responder
     */
    public record Config(int fileMode, int uid, int gid, int readers, int requestTimeoutSeconds, int spinMicros) {
        public Config {
            if (spinMicros < 0 || spinMicros > 10_000) {
                throw new IllegalArgumentException("spin " + spinMicros + " µs: must be 0 (off) to 10000");
            }
            if (readers < 1) {
                throw new IllegalArgumentException("readers " + readers + ": need at least 1");
            }
            if (requestTimeoutSeconds < 0 || requestTimeoutSeconds > 0xffff) {
                throw new IllegalArgumentException("request timeout " + requestTimeoutSeconds
                        + " s: must be 0 (none) to 65535");
            }
            if ((fileMode & ~07777) != 0) {
                throw new IllegalArgumentException("file mode 0" + Integer.toOctalString(fileMode)
                        + ": only permission bits (07777) are allowed");
            }
        }
    }

    private final int devFd;
    private final String threadName;
    private final Config config;
    private final Consumer<String> log;
    private final VpollRequests requestHandler;
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final LongAdder requests = new LongAdder();
    private final LongAdder notifications = new LongAdder();
    private final ThreadLocal<MemorySegment> notifyBuffer = ThreadLocal.withInitial(FuseChannel::notifyBuffer);
    private final AtomicBoolean spinRequested = new AtomicBoolean();
    private volatile Thread spinner;
    private volatile boolean stopping;
    private volatile String failure;

    /**
     * Starts serving {@code devFd} (a mounted /dev/fuse descriptor, which this object now owns).
     *
     * @param log where daemon events worth a line go (start, faults, stop)
     */
    public VpollFileSystem(int devFd, Config config, String threadName, Consumer<String> log) {
        this.devFd = devFd;
        this.config = config;
        this.log = log;
        this.threadName = threadName;
        this.requestHandler = new VpollRequests(config, this::notifyPoll, log, this::initialized);
        liveReaders.set(config.readers());
        for (int i = 0; i < config.readers(); i++) {
            Thread t = Thread.ofPlatform().daemon(true).name(threadName + "-" + i).unstarted(new Reader(devFd, false));
            readers.add(t);
        }
        readers.forEach(Thread::start);
    }

    /**
     * Waits for the kernel's INIT handshake.
     *
     * @throws VpollException if it did not complete within {@code timeoutMillis}, or failed
     */
    public void awaitInit(long timeoutMillis) throws VpollException, InterruptedException {
        if (!initialized.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new VpollException("FUSE INIT", 0, "the kernel sent no INIT within " + timeoutMillis + " ms");
        }
        if (failure != null) {
            throw new VpollException("FUSE INIT", 0, failure);
        }
    }

    /** @return whether the daemon stopped (connection ended) within {@code timeoutMillis} */
    public boolean awaitTermination(long timeoutMillis) throws InterruptedException {
        return terminated.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** @return the instance opened with this number, or null if it is closed or unknown */
    public VpollInstance instance(long number) {
        return requestHandler.instance(number);
    }

    /** @return how many instances are open now */
    public int openInstances() {
        return requestHandler.openInstances();
    }

    /** @return the negotiated FUSE protocol minor version (0 before INIT) */
    public int protocolMinor() {
        return requestHandler.protocolMinor();
    }

    /** @return the request timeout the kernel accepted, in seconds (0: none) */
    public int requestTimeout() {
        return requestHandler.requestTimeout();
    }

    /** @return requests handled so far */
    public long requests() {
        return requests.sum();
    }

    /** @return FUSE_NOTIFY_POLL messages sent so far */
    public long notifications() {
        return notifications.sum();
    }

    private void initialized(String why) {
        if (why == null) {
            startSpinner();
        } else {
            failure = why;
        }
        initialized.countDown();
    }

    private void notifyPoll(long kh) throws VpollException {
        try {
            FuseChannel.notifyPoll(devFd, notifyBuffer.get(), kh);
        } finally {
            notifications.increment();
            Thread t = spinner;
            if (t != null) {
                spinRequested.set(true);
                LockSupport.unpark(t);
            }
        }
    }

    /** After INIT: a clone of /dev/fuse, non-blocking, for the spinning responder. */
    private void startSpinner() {
        if (config.spinMicros() == 0) {
            return;
        }
        int clone;
        try (Arena arena = Arena.ofConfined()) {
            clone = Unistd.open(arena.allocateFrom("/dev/fuse"), Unistd.O_RDWR | Unistd.O_CLOEXEC | Unistd.O_NONBLOCK,
                    "open(/dev/fuse)");
            MemorySegment old = arena.allocate(JAVA_INT);
            old.set(JAVA_INT, 0, devFd);
            try {
                Ioctl.ioctlInt(clone, Fuse.DEV_IOC_CLONE, old, "ioctl(FUSE_DEV_IOC_CLONE)");
            } catch (VpollException e) {
                Unistd.closeQuietly(clone);
                throw e;
            }
        } catch (VpollException e) {
            LOG.log(System.Logger.Level.DEBUG, "no spinning responder: " + e.getMessage());
            return;
        }
        Thread t = Thread.ofPlatform().daemon(true).name(threadName + "-responder").unstarted(new Reader(clone, true));
        spinner = t;
        t.start();
    }

    /** A session thread: reads requests from one descriptor and hands them to the dispatcher. */
    private final class Reader implements Runnable {
        private final FuseChannel ch;
        private final boolean responder;

        Reader(int fd, boolean responder) {
            this.ch = new FuseChannel(fd);
            this.responder = responder;
        }

        @Override
        public void run() {
            if (responder) {
                try {
                    respond();
                } finally {
                    spinner = null;
                    Unistd.closeQuietly(ch.fd);
                }
                return;
            }
            try {
                loop();
            } finally {
                if (liveReaders.decrementAndGet() == 0) {
                    stopping = true;
                    Thread t = spinner;
                    if (t != null) {
                        LockSupport.unpark(t);
                    }
                    Unistd.closeQuietly(devFd);
                    initialized.countDown(); // never leave awaitInit hanging
                    terminated.countDown();
                }
            }
        }

        /** Parks until a wake-up is sent, then answers requests without blocking for a while. */
        private void respond() {
            long window = config.spinMicros() * 1000L;
            while (!stopping) {
                if (!spinRequested.getAndSet(false)) {
                    LockSupport.park(this);
                    continue;
                }
                long deadline = System.nanoTime() + window;
                while (System.nanoTime() < deadline && !stopping) {
                    long n;
                    try {
                        n = ch.read("read(/dev/fuse clone)");
                    } catch (VpollException e) {
                        if (e.errno() == Errno.ENOENT) {
                            continue;
                        }
                        return; // ENODEV: the connection ended
                    }
                    if (n >= Fuse.IN_HEADER_SIZE) {
                        requests.increment();
                        try {
                            if (!requestHandler.handle(ch)) {
                                return;
                            }
                        } catch (VpollException e) {
                            if (e.errno() == Errno.ENODEV) {
                                return;
                            }
                        }
                        deadline = System.nanoTime() + window;
                    } else {
                        Thread.onSpinWait();
                    }
                    if (spinRequested.getAndSet(false)) {
                        deadline = System.nanoTime() + window;
                    }
                }
            }
        }

        private void loop() {
            for (;;) {
                long n;
                try {
                    n = ch.read("read(/dev/fuse)");
                } catch (VpollException e) {
                    int errno = e.errno();
                    if (errno == Errno.ENOENT) {
                        continue; // the request was interrupted before we read it
                    }
                    if (errno == Errno.ENODEV) {
                        return; // unmounted and released, or aborted: the normal end
                    }
                    log.accept("FUSE daemon: read(/dev/fuse) failed, stopping: " + e.getMessage());
                    return;
                }
                if (n == -Errno.EAGAIN) {
                    continue;
                }
                if (n < Fuse.IN_HEADER_SIZE) {
                    log.accept("FUSE daemon: short request of " + n + " bytes, stopping");
                    return;
                }
                requests.increment();
                try {
                    if (!requestHandler.handle(ch)) {
                        return;
                    }
                } catch (VpollException e) {
                    if (e.errno() == Errno.ENODEV) {
                        return;
                    }
                    // ENOENT: the caller was interrupted and no longer waits for this reply
                    if (e.errno() != Errno.ENOENT) {
                        log.accept("FUSE daemon: " + e.getMessage());
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "FUSE daemon: bug while handling a request", e);
                    log.accept("FUSE daemon: internal error " + e + "; the request fails with EIO");
                    requestHandler.answerEio(ch); // never leave the caller waiting for a reply that will not come
                }
            }
        }
    }
}
