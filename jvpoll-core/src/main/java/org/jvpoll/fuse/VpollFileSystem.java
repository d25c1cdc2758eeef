package org.jvpoll.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.jvpoll.Errno;
import org.jvpoll.Events;
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
 * whenever the file has waiters); the first change after such a poll sends FUSE_NOTIFY_POLL for
 * the poll handle, which wakes every waiter, and they poll again (re-arming). Changes while no
 * poll re-armed are seen by the re-poll that the previous notification already caused, so every
 * waiter observes every change it could observe with the module, including a new edge for
 * edge-triggered epoll, without a notification per change when nobody waits.
 *
 * <p><b>Threads.</b> {@code readers} platform threads block in read(2) on /dev/fuse; the kernel
 * hands each request to one of them. Changes made directly in memory ({@link Instance#ctl}) send
 * their notification from the calling thread. The descriptor is closed when the kernel ends the
 * connection (ENODEV: unmounted and the last open file closed, or aborted).
 */
public final class VpollFileSystem {
    private static final System.Logger LOG = System.getLogger("org.jvpoll.fuse");

    /** jvpoll's own ioctl: {@code _IO('^', 0x4a)} returns the instance number of the fd. */
    public static final int IOCTL_INSTANCE_NR = 0x4a;
    public static final long IOCTL_INSTANCE = Ioctl.io('^', IOCTL_INSTANCE_NR);

    private static final int BUFFER_SIZE = Fuse.MIN_READ_BUFFER + 4096;
    private static final int MAX_WRITE = 4096;
    private static final long ATTR_VALID_SECONDS = 365L * 24 * 3600;
    private static final long ARMED = 1L << 32;
    private static final int EPROTO = 71;
    private static final int ENOSYS = 38;

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

    /** One open of the file: a vpoll instance. */
    public static final class Instance {
        private final VpollFileSystem fs;
        private final long fh;
        /** Bits 0..31: the mask. Bit 32: a waiter asked to be notified of the next change. */
        private final AtomicLong state = new AtomicLong();
        /** The kernel's poll handle for this open file, known from its first FUSE_POLL. */
        private volatile long kh;

        Instance(VpollFileSystem fs, long fh) {
            this.fs = fs;
            this.fh = fh;
        }

        /** @return the instance number (FUSE file handle) */
        public long number() {
            return fh;
        }

        /** @return the mask (all 28 bits) */
        public int events() {
            return (int) state.get();
        }

        /**
         * Applies a vpoll change and wakes the waiters, if any, before returning.
         *
         * @param op     1 ADD, 2 DEL, 3 SET
         * @param events the bits (only {@link Events#ALL} are kept, as the module does)
         * @return the new mask
         * @throws VpollException if the kernel refuses the wake-up (connection gone: ENODEV)
         */
        public int ctl(int op, int events) throws VpollException {
            long r = change(op, events);
            if ((r & ARMED) != 0) {
                fs.notifyPoll(kh);
            }
            return (int) r;
        }

        /** @return the new mask, with {@link #ARMED} set if waiters must be notified */
        long change(int op, int events) {
            int e = events & Events.ALL;
            for (;;) {
                long s = state.get();
                int mask = (int) s;
                int next = switch (op) {
                    case 1 -> mask | e;
                    case 2 -> mask & ~e;
                    case 3 -> e;
                    default -> throw new IllegalArgumentException("op " + op + ": expected 1, 2 or 3");
                };
                if ((next & Fuse.POLL_VISIBLE) == 0) {
                    // Nothing a poller could see: a wake-up would only make the waiters re-poll
                    // and find no event, so keep the arm for the next change that shows a bit.
                    if (state.compareAndSet(s, (next & 0xffffffffL) | (s & ARMED))) {
                        return next & 0xffffffffL;
                    }
                    continue;
                }
                if (state.compareAndSet(s, next & 0xffffffffL)) {
                    return (next & 0xffffffffL) | (s & ARMED);
                }
            }
        }

        /** FUSE_POLL: remember the handle, arm if asked, and return the mask. */
        int poll(long pollHandle, boolean scheduleNotify) {
            if (!scheduleNotify) {
                return (int) state.get();
            }
            kh = pollHandle; // written before the CAS publishes ARMED
            long s;
            do {
                s = state.get();
            } while ((s & ARMED) == 0 && !state.compareAndSet(s, s | ARMED));
            return (int) s;
        }
    }

    private final int devFd;
    private final String threadName;
    private final Config config;
    private final Consumer<String> log;
    private final ConcurrentHashMap<Long, Instance> instances = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong();
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final long startSeconds = System.currentTimeMillis() / 1000;
    private final LongAdder requests = new LongAdder();
    private final LongAdder notifications = new LongAdder();
    private final ThreadLocal<MemorySegment> notifyBuffer =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Fuse.OUT_HEADER_SIZE + Fuse.NOTIFY_POLL_SIZE, 8));
    private final AtomicBoolean spinRequested = new AtomicBoolean();
    private volatile Thread spinner;
    private volatile boolean stopping;
    private volatile int protocolMinor;
    private volatile int requestTimeout;
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
    public Instance instance(long number) {
        return instances.get(number);
    }

    /** @return how many instances are open now */
    public int openInstances() {
        return instances.size();
    }

    /** @return the negotiated FUSE protocol minor version (0 before INIT) */
    public int protocolMinor() {
        return protocolMinor;
    }

    /** @return the request timeout the kernel accepted, in seconds (0: none) */
    public int requestTimeout() {
        return requestTimeout;
    }

    /** @return requests handled so far */
    public long requests() {
        return requests.sum();
    }

    /** @return FUSE_NOTIFY_POLL messages sent so far */
    public long notifications() {
        return notifications.sum();
    }

    void notifyPoll(long kh) throws VpollException {
        MemorySegment b = notifyBuffer.get();
        b.set(JAVA_INT, 0, Fuse.OUT_HEADER_SIZE + Fuse.NOTIFY_POLL_SIZE);
        b.set(JAVA_INT, 4, Fuse.NOTIFY_POLL);
        b.set(JAVA_LONG, 8, 0L);
        b.set(JAVA_LONG, 16, kh);
        long n = Unistd.write(devFd, b, Fuse.OUT_HEADER_SIZE + Fuse.NOTIFY_POLL_SIZE, "write(/dev/fuse, FUSE_NOTIFY_POLL)");
        notifications.increment();
        Thread t = spinner;
        if (t != null) {
            spinRequested.set(true);
            LockSupport.unpark(t);
        }
        if (n < 0) {
            throw new VpollException("write(/dev/fuse, FUSE_NOTIFY_POLL)", (int) -n, null);
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

    private final class Reader implements Runnable {
        private final Arena arena = Arena.ofAuto();
        private final MemorySegment in = arena.allocate(BUFFER_SIZE, 8);
        private final MemorySegment out = arena.allocate(256, 8);
        private final int fd;
        private final boolean responder;

        Reader(int fd, boolean responder) {
            this.fd = fd;
            this.responder = responder;
        }

        @Override
        public void run() {
            if (responder) {
                try {
                    respond();
                } finally {
                    spinner = null;
                    Unistd.closeQuietly(fd);
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
                        n = Unistd.read(fd, in, BUFFER_SIZE, "read(/dev/fuse clone)");
                    } catch (VpollException e) {
                        if (e.errno() == Errno.ENOENT) {
                            continue;
                        }
                        return; // ENODEV: the connection ended
                    }
                    if (n >= Fuse.IN_HEADER_SIZE) {
                        requests.increment();
                        try {
                            if (!handle()) {
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
                    n = Unistd.read(fd, in, BUFFER_SIZE, "read(/dev/fuse)");
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
                    if (!handle()) {
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
                    answerEio(); // never leave the caller waiting for a reply that will not come
                }
            }
        }

        private void answerEio() {
            int opcode = in.get(JAVA_INT, 4);
            if (opcode == Fuse.FORGET || opcode == Fuse.BATCH_FORGET || opcode == Fuse.INTERRUPT) {
                return; // these take no reply
            }
            try {
                reply(in.get(JAVA_LONG, 8), -5 /* EIO */, 0);
            } catch (VpollException ignored) {
                // the caller is gone or the connection ended: nothing more to do
            }
        }

        /** @return false to stop this reader */
        private boolean handle() throws VpollException {
            int opcode = in.get(JAVA_INT, 4);
            long unique = in.get(JAVA_LONG, 8);
            switch (opcode) {
                case Fuse.IOCTL -> ioctl(unique);
                case Fuse.POLL -> poll(unique);
                case Fuse.WRITE -> write(unique);
                case Fuse.READ -> read(unique);
                case Fuse.OPEN -> open(unique);
                case Fuse.RELEASE -> {
                    instances.remove(in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE));
                    reply(unique, 0, 0);
                }
                case Fuse.FLUSH, Fuse.FSYNC, Fuse.ACCESS -> reply(unique, 0, 0);
                case Fuse.GETATTR, Fuse.SETATTR -> attr(unique);
                case Fuse.STATFS -> {
                    out.asSlice(Fuse.OUT_HEADER_SIZE, Fuse.STATFS_OUT_SIZE).fill((byte) 0);
                    out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 40, 4096); // bsize
                    out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 44, 255);  // namelen
                    out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 48, 4096); // frsize
                    reply(unique, 0, Fuse.STATFS_OUT_SIZE);
                }
                case Fuse.INIT -> init(unique);
                case Fuse.FORGET, Fuse.BATCH_FORGET, Fuse.INTERRUPT -> {
                    // no reply; every request here completes at once, so interrupts need no action
                }
                case Fuse.DESTROY -> {
                    reply(unique, 0, 0);
                    return false;
                }
                case Fuse.LOOKUP -> reply(unique, -Errno.ENOENT, 0);
                default -> reply(unique, -ENOSYS, 0);
            }
            return true;
        }

        private void init(long unique) throws VpollException {
            int major = in.get(JAVA_INT, 40);
            int minor = in.get(JAVA_INT, 44);
            int flags = in.get(JAVA_INT, 52);
            int flags2 = minor >= 36 && (flags & Fuse.INIT_EXT) != 0 ? in.get(JAVA_INT, 56) : 0;
            if (major < Fuse.KERNEL_VERSION || major == Fuse.KERNEL_VERSION && minor < 23) {
                failure = "the kernel speaks FUSE " + major + "." + minor + "; jvpoll needs 7.23 or newer";
                reply(unique, -EPROTO, 0);
                initialized.countDown();
                return;
            }
            MemorySegment o = out.asSlice(Fuse.OUT_HEADER_SIZE, Fuse.INIT_OUT_SIZE);
            o.fill((byte) 0);
            o.set(JAVA_INT, 0, Fuse.KERNEL_VERSION);
            if (major > Fuse.KERNEL_VERSION) {
                // Protocol: answer with our major; the kernel then sends INIT again.
                o.set(JAVA_INT, 4, Fuse.KERNEL_MINOR);
                reply(unique, 0, Fuse.INIT_OUT_SIZE);
                return;
            }
            int agreed = Math.min(minor, Fuse.KERNEL_MINOR);
            int outFlags = 0;
            int outFlags2 = 0;
            int timeout = 0;
            if (config.requestTimeoutSeconds() > 0 && agreed >= 43 && (flags & Fuse.INIT_EXT) != 0
                    && (flags2 & Fuse.FLAGS2_REQUEST_TIMEOUT) != 0) {
                outFlags |= Fuse.INIT_EXT;
                outFlags2 |= Fuse.FLAGS2_REQUEST_TIMEOUT;
                timeout = config.requestTimeoutSeconds();
            }
            o.set(JAVA_INT, 4, agreed);
            o.set(JAVA_INT, 8, 0);                 // max_readahead: nothing is cached
            o.set(JAVA_INT, 12, outFlags);
            o.set(JAVA_SHORT, 16, (short) 16);     // max_background
            o.set(JAVA_SHORT, 18, (short) 12);     // congestion_threshold
            o.set(JAVA_INT, 20, MAX_WRITE);
            o.set(JAVA_INT, 24, 1);                // time_gran
            o.set(JAVA_INT, 32, outFlags2);
            o.set(JAVA_SHORT, 40, (short) timeout);
            protocolMinor = agreed;
            requestTimeout = timeout;
            reply(unique, 0, Fuse.INIT_OUT_SIZE);
            startSpinner();
            initialized.countDown();
        }

        private void attr(long unique) throws VpollException {
            MemorySegment o = out.asSlice(Fuse.OUT_HEADER_SIZE, Fuse.ATTR_OUT_SIZE);
            o.fill((byte) 0);
            o.set(JAVA_LONG, 0, ATTR_VALID_SECONDS);
            MemorySegment a = o.asSlice(16);
            a.set(JAVA_LONG, 0, Fuse.ROOT_ID);                           // ino
            a.set(JAVA_LONG, 24, startSeconds);                          // atime
            a.set(JAVA_LONG, 32, startSeconds);                          // mtime
            a.set(JAVA_LONG, 40, startSeconds);                          // ctime
            a.set(JAVA_INT, 60, Fuse.S_IFREG | config.fileMode());       // mode
            a.set(JAVA_INT, 64, 1);                                      // nlink
            a.set(JAVA_INT, 68, config.uid());
            a.set(JAVA_INT, 72, config.gid());
            a.set(JAVA_INT, 80, 4096);                                   // blksize
            reply(unique, 0, Fuse.ATTR_OUT_SIZE);
        }

        private void open(long unique) throws VpollException {
            long fh = nextFh.incrementAndGet();
            instances.put(fh, new Instance(VpollFileSystem.this, fh));
            out.set(JAVA_LONG, Fuse.OUT_HEADER_SIZE, fh);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 8, Fuse.FOPEN_DIRECT_IO | Fuse.FOPEN_NONSEEKABLE
                    | Fuse.FOPEN_STREAM | Fuse.FOPEN_NOFLUSH | Fuse.FOPEN_PARALLEL_DIRECT_WRITES);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 12, 0);
            reply(unique, 0, Fuse.OPEN_OUT_SIZE);
        }

        private void ioctl(long unique) throws VpollException {
            Instance inst = instances.get(in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE));
            int cmd = in.get(JAVA_INT, Fuse.IN_HEADER_SIZE + 12);
            long arg = in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE + 16);
            if (inst == null) {
                reply(unique, -Errno.EBADF, 0);
                return;
            }
            if ((cmd >>> 8) != Ioctl.VPOLL_IOC_MAGIC) { // other type, or a direction/size: not ours
                reply(unique, -Errno.ENOTTY, 0);
                return;
            }
            int nr = cmd & 0xff;
            int result;
            if (nr >= 1 && nr <= 3) {
                result = changeAndNotify(inst, nr, (int) arg);
            } else if (nr == IOCTL_INSTANCE_NR && inst.fh <= Integer.MAX_VALUE) {
                result = (int) inst.fh;
            } else {
                reply(unique, -Errno.EINVAL, 0);
                return;
            }
            MemorySegment o = out.asSlice(Fuse.OUT_HEADER_SIZE, Fuse.IOCTL_OUT_SIZE);
            o.fill((byte) 0);
            o.set(JAVA_INT, 0, result);
            reply(unique, 0, Fuse.IOCTL_OUT_SIZE);
        }

        private void poll(long unique) throws VpollException {
            Instance inst = instances.get(in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE));
            if (inst == null) {
                reply(unique, -Errno.EBADF, 0);
                return;
            }
            long kh = in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE + 8);
            int flags = in.get(JAVA_INT, Fuse.IN_HEADER_SIZE + 16);
            int mask = inst.poll(kh, (flags & Fuse.POLL_SCHEDULE_NOTIFY) != 0);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE, mask & Fuse.POLL_VISIBLE);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 4, 0);
            reply(unique, 0, Fuse.POLL_OUT_SIZE);
        }

        private void read(long unique) throws VpollException {
            Instance inst = instances.get(in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE));
            int size = in.get(JAVA_INT, Fuse.IN_HEADER_SIZE + 16);
            if (inst == null) {
                reply(unique, -Errno.EBADF, 0);
            } else if (size < 8) {
                reply(unique, -Errno.EINVAL, 0);
            } else {
                out.set(JAVA_LONG, Fuse.OUT_HEADER_SIZE, inst.events() & 0xffffffffL);
                reply(unique, 0, 8);
            }
        }

        private void write(long unique) throws VpollException {
            Instance inst = instances.get(in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE));
            int size = in.get(JAVA_INT, Fuse.IN_HEADER_SIZE + 16);
            if (inst == null) {
                reply(unique, -Errno.EBADF, 0);
                return;
            }
            if (size != 8) {
                reply(unique, -Errno.EINVAL, 0);
                return;
            }
            long request = in.get(JAVA_LONG, Fuse.IN_HEADER_SIZE + Fuse.WRITE_IN_SIZE);
            long op = request >>> 32;
            if (op < 1 || op > 3) {
                reply(unique, -Errno.EINVAL, 0);
                return;
            }
            changeAndNotify(inst, (int) op, (int) request);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE, 8);
            out.set(JAVA_INT, Fuse.OUT_HEADER_SIZE + 4, 0);
            reply(unique, 0, Fuse.WRITE_OUT_SIZE);
        }

        /**
         * Applies a change for a request, then wakes waiters before the reply goes out, so a
         * cross-thread waiter starts its re-poll while the changer is still being answered.
         */
        private int changeAndNotify(Instance inst, int op, int events) throws VpollException {
            long r = inst.change(op, events);
            if ((r & ARMED) != 0) {
                try {
                    notifyPoll(inst.kh);
                } catch (VpollException e) {
                    if (e.errno() == Errno.ENODEV) {
                        throw e;
                    }
                    log.accept("FUSE daemon: wake-up of instance " + inst.fh + " failed: " + e.getMessage());
                }
            }
            return (int) r;
        }

        /** Writes the out header and {@code payload} bytes already placed after it. */
        private void reply(long unique, int error, int payload) throws VpollException {
            int len = Fuse.OUT_HEADER_SIZE + (error == 0 ? payload : 0);
            out.set(JAVA_INT, 0, len);
            out.set(JAVA_INT, 4, error);
            out.set(JAVA_LONG, 8, unique);
            long n = Unistd.write(fd, out, len, "write(/dev/fuse, reply)");
            if (n < 0) {
                throw new VpollException("write(/dev/fuse, reply)", (int) -n, null);
            }
        }
    }
}
