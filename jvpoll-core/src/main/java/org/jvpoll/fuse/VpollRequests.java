package org.jvpoll.fuse;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Fuse;
import org.jvpoll.syscall.Fuse.Attr;
import org.jvpoll.syscall.Fuse.AttrOut;
import org.jvpoll.syscall.Fuse.InitIn;
import org.jvpoll.syscall.Fuse.InitOut;
import org.jvpoll.syscall.Fuse.IoctlIn;
import org.jvpoll.syscall.Fuse.IoctlOut;
import org.jvpoll.syscall.Fuse.Kstatfs;
import org.jvpoll.syscall.Fuse.OpenOut;
import org.jvpoll.syscall.Fuse.PollIn;
import org.jvpoll.syscall.Fuse.PollOut;
import org.jvpoll.syscall.Fuse.ReadIn;
import org.jvpoll.syscall.Fuse.ReleaseIn;
import org.jvpoll.syscall.Fuse.StatfsOut;
import org.jvpoll.syscall.Fuse.WriteIn;
import org.jvpoll.syscall.Fuse.WriteOut;
import org.jvpoll.syscall.Ioctl;

/**
 * Request dispatch of the vpoll file system: answers each FUSE request read into a
 * {@link FuseChannel} and keeps the table of open instances. Called by any number of session
 * threads at once; nothing here blocks except the reply write.
 */
final class VpollRequests {
    private static final long ATTR_VALID_SECONDS = 365L * 24 * 3600;
    private static final int EIO = 5;

    /** What the session learns from INIT. */
    interface InitListener {
        /** @param failure null if the handshake succeeded, else why it failed */
        void initialized(String failure);
    }

    private final VpollFileSystem.Config config;
    private final VpollInstance.Waker waker;
    private final Consumer<String> log;
    private final InitListener initListener;
    private final ConcurrentHashMap<Long, VpollInstance> instances = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong();
    private final long startSeconds = System.currentTimeMillis() / 1000;
    private volatile int protocolMinor;
    private volatile int requestTimeout;

    VpollRequests(VpollFileSystem.Config config, VpollInstance.Waker waker, Consumer<String> log,
            InitListener initListener) {
        this.config = config;
        this.waker = waker;
        this.log = log;
        this.initListener = initListener;
    }

    VpollInstance instance(long number) {
        return instances.get(number);
    }

    int openInstances() {
        return instances.size();
    }

    int protocolMinor() {
        return protocolMinor;
    }

    int requestTimeout() {
        return requestTimeout;
    }

    /** @return false if the session must stop (DESTROY) */
    boolean handle(FuseChannel ch) throws VpollException {
        long unique = ch.unique();
        switch (ch.opcode()) {
            case Fuse.IOCTL -> ioctl(ch, unique);
            case Fuse.POLL -> poll(ch, unique);
            case Fuse.WRITE -> write(ch, unique);
            case Fuse.READ -> read(ch, unique);
            case Fuse.OPEN -> open(ch, unique);
            case Fuse.RELEASE -> {
                instances.remove((long) ReleaseIn.FH.get(ch.arg(), 0L));
                ch.reply(unique, 0, 0);
            }
            case Fuse.FLUSH, Fuse.FSYNC, Fuse.ACCESS -> ch.reply(unique, 0, 0);
            case Fuse.GETATTR, Fuse.SETATTR -> attr(ch, unique);
            case Fuse.STATFS -> statfs(ch, unique);
            case Fuse.INIT -> init(ch, unique);
            case Fuse.FORGET, Fuse.BATCH_FORGET, Fuse.INTERRUPT -> {
                // no reply; every request here completes at once, so interrupts need no action
            }
            case Fuse.DESTROY -> {
                ch.reply(unique, 0, 0);
                return false;
            }
            case Fuse.LOOKUP -> ch.reply(unique, -Errno.ENOENT, 0);
            default -> ch.reply(unique, -Errno.ENOSYS, 0);
        }
        return true;
    }

    /** After an internal error: fails the request with EIO so its caller does not wait forever. */
    void answerEio(FuseChannel ch) {
        int opcode = ch.opcode();
        if (opcode == Fuse.FORGET || opcode == Fuse.BATCH_FORGET || opcode == Fuse.INTERRUPT) {
            return; // these take no reply
        }
        try {
            ch.reply(ch.unique(), -EIO, 0);
        } catch (VpollException ignored) {
            // the caller is gone or the connection ended: nothing more to do
        }
    }

    private void init(FuseChannel ch, long unique) throws VpollException {
        MemorySegment a = ch.arg();
        int major = (int) InitIn.MAJOR.get(a, 0L);
        int minor = (int) InitIn.MINOR.get(a, 0L);
        int flags = (int) InitIn.FLAGS.get(a, 0L);
        int flags2 = minor >= 36 && (flags & Fuse.INIT_EXT) != 0 ? (int) InitIn.FLAGS2.get(a, 0L) : 0;
        if (major < Fuse.KERNEL_VERSION || major == Fuse.KERNEL_VERSION && minor < 23) {
            ch.reply(unique, -Errno.EPROTO, 0);
            initListener.initialized("the kernel speaks FUSE " + major + "." + minor + "; jvpoll needs 7.23 or newer");
            return;
        }
        MemorySegment o = ch.payload().asSlice(0, Fuse.INIT_OUT_SIZE);
        o.fill((byte) 0);
        InitOut.MAJOR.set(o, 0L, Fuse.KERNEL_VERSION);
        if (major > Fuse.KERNEL_VERSION) {
            // Protocol: answer with our major; the kernel then sends INIT again.
            InitOut.MINOR.set(o, 0L, Fuse.KERNEL_MINOR);
            ch.reply(unique, 0, Fuse.INIT_OUT_SIZE);
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
        InitOut.MINOR.set(o, 0L, agreed);
        InitOut.MAX_READAHEAD.set(o, 0L, 0); // nothing is cached
        InitOut.FLAGS.set(o, 0L, outFlags);
        InitOut.MAX_BACKGROUND.set(o, 0L, (short) 16);
        InitOut.CONGESTION_THRESHOLD.set(o, 0L, (short) 12);
        InitOut.MAX_WRITE.set(o, 0L, FuseChannel.MAX_WRITE);
        InitOut.TIME_GRAN.set(o, 0L, 1);
        InitOut.FLAGS2.set(o, 0L, outFlags2);
        InitOut.REQUEST_TIMEOUT.set(o, 0L, (short) timeout);
        protocolMinor = agreed;
        requestTimeout = timeout;
        ch.reply(unique, 0, Fuse.INIT_OUT_SIZE);
        initListener.initialized(null);
    }

    private void attr(FuseChannel ch, long unique) throws VpollException {
        MemorySegment o = ch.payload().asSlice(0, Fuse.ATTR_OUT_SIZE);
        o.fill((byte) 0);
        AttrOut.ATTR_VALID.set(o, 0L, ATTR_VALID_SECONDS);
        long a = AttrOut.ATTR;
        Attr.INO.set(o, a, (long) Fuse.ROOT_ID);
        Attr.ATIME.set(o, a, startSeconds);
        Attr.MTIME.set(o, a, startSeconds);
        Attr.CTIME.set(o, a, startSeconds);
        Attr.MODE.set(o, a, Fuse.S_IFREG | config.fileMode());
        Attr.NLINK.set(o, a, 1);
        Attr.UID.set(o, a, config.uid());
        Attr.GID.set(o, a, config.gid());
        Attr.BLKSIZE.set(o, a, 4096);
        ch.reply(unique, 0, Fuse.ATTR_OUT_SIZE);
    }

    private void statfs(FuseChannel ch, long unique) throws VpollException {
        MemorySegment o = ch.payload().asSlice(0, Fuse.STATFS_OUT_SIZE);
        o.fill((byte) 0);
        Kstatfs.BSIZE.set(o, StatfsOut.ST, 4096);
        Kstatfs.NAMELEN.set(o, StatfsOut.ST, 255);
        Kstatfs.FRSIZE.set(o, StatfsOut.ST, 4096);
        ch.reply(unique, 0, Fuse.STATFS_OUT_SIZE);
    }

    private void open(FuseChannel ch, long unique) throws VpollException {
        long fh = nextFh.incrementAndGet();
        instances.put(fh, new VpollInstance(waker, fh));
        MemorySegment o = ch.payload();
        OpenOut.FH.set(o, 0L, fh);
        OpenOut.OPEN_FLAGS.set(o, 0L, Fuse.FOPEN_DIRECT_IO | Fuse.FOPEN_NONSEEKABLE | Fuse.FOPEN_STREAM
                | Fuse.FOPEN_NOFLUSH | Fuse.FOPEN_PARALLEL_DIRECT_WRITES);
        OpenOut.BACKING_ID.set(o, 0L, 0);
        ch.reply(unique, 0, Fuse.OPEN_OUT_SIZE);
    }

    private void ioctl(FuseChannel ch, long unique) throws VpollException {
        MemorySegment a = ch.arg();
        VpollInstance inst = instances.get((long) IoctlIn.FH.get(a, 0L));
        int cmd = (int) IoctlIn.CMD.get(a, 0L);
        long arg = (long) IoctlIn.ARG.get(a, 0L);
        if (inst == null) {
            ch.reply(unique, -Errno.EBADF, 0);
            return;
        }
        if ((cmd >>> 8) != Ioctl.VPOLL_IOC_MAGIC) { // other type, or a direction/size: not ours
            ch.reply(unique, -Errno.ENOTTY, 0);
            return;
        }
        int nr = cmd & 0xff;
        int result;
        if (nr >= 1 && nr <= 3) {
            result = changeAndWake(inst, nr, (int) arg);
        } else if (nr == VpollFileSystem.IOCTL_INSTANCE_NR && inst.number() <= Integer.MAX_VALUE) {
            result = (int) inst.number();
        } else {
            ch.reply(unique, -Errno.EINVAL, 0);
            return;
        }
        MemorySegment o = ch.payload().asSlice(0, Fuse.IOCTL_OUT_SIZE);
        o.fill((byte) 0);
        IoctlOut.RESULT.set(o, 0L, result);
        ch.reply(unique, 0, Fuse.IOCTL_OUT_SIZE);
    }

    private void poll(FuseChannel ch, long unique) throws VpollException {
        MemorySegment a = ch.arg();
        VpollInstance inst = instances.get((long) PollIn.FH.get(a, 0L));
        if (inst == null) {
            ch.reply(unique, -Errno.EBADF, 0);
            return;
        }
        long kh = (long) PollIn.KH.get(a, 0L);
        int flags = (int) PollIn.FLAGS.get(a, 0L);
        int mask = inst.poll(kh, (flags & Fuse.POLL_SCHEDULE_NOTIFY) != 0);
        MemorySegment o = ch.payload();
        o.asSlice(0, Fuse.POLL_OUT_SIZE).fill((byte) 0);
        PollOut.REVENTS.set(o, 0L, mask & Fuse.POLL_VISIBLE);
        ch.reply(unique, 0, Fuse.POLL_OUT_SIZE);
    }

    private void read(FuseChannel ch, long unique) throws VpollException {
        MemorySegment a = ch.arg();
        VpollInstance inst = instances.get((long) ReadIn.FH.get(a, 0L));
        int size = (int) ReadIn.SIZE.get(a, 0L);
        if (inst == null) {
            ch.reply(unique, -Errno.EBADF, 0);
        } else if (size < 8) {
            ch.reply(unique, -Errno.EINVAL, 0);
        } else {
            ch.payload().set(JAVA_LONG, 0, inst.events() & 0xffffffffL);
            ch.reply(unique, 0, 8);
        }
    }

    private void write(FuseChannel ch, long unique) throws VpollException {
        MemorySegment a = ch.arg();
        VpollInstance inst = instances.get((long) WriteIn.FH.get(a, 0L));
        int size = (int) WriteIn.SIZE.get(a, 0L);
        if (inst == null) {
            ch.reply(unique, -Errno.EBADF, 0);
            return;
        }
        if (size != 8) {
            ch.reply(unique, -Errno.EINVAL, 0);
            return;
        }
        long request = a.get(JAVA_LONG, Fuse.WRITE_IN_SIZE); // the data: 8 bytes
        long op = request >>> 32;
        if (op < 1 || op > 3) {
            ch.reply(unique, -Errno.EINVAL, 0);
            return;
        }
        changeAndWake(inst, (int) op, (int) request);
        MemorySegment o = ch.payload();
        o.asSlice(0, Fuse.WRITE_OUT_SIZE).fill((byte) 0);
        WriteOut.SIZE.set(o, 0L, 8);
        ch.reply(unique, 0, Fuse.WRITE_OUT_SIZE);
    }

    /**
     * Applies a change for a request, then wakes waiters before the reply goes out, so a
     * cross-thread waiter starts its re-poll while the changer is still being answered.
     */
    private int changeAndWake(VpollInstance inst, int op, int events) throws VpollException {
        long r = inst.change(op, events);
        if ((r & VpollInstance.ARMED) != 0) {
            try {
                waker.wake(inst.pollHandle());
            } catch (VpollException e) {
                if (e.errno() == Errno.ENODEV) {
                    throw e;
                }
                log.accept("FUSE daemon: wake-up of instance " + inst.number() + " failed: " + e.getMessage());
            }
        }
        return (int) r;
    }
}
