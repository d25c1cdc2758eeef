package org.jvpoll.backend;

import java.io.IOException;

import org.jvpoll.Backend;
import org.jvpoll.BackendUnavailableException;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.fuse.VpollFileSystem;
import org.jvpoll.fuse.VpollInstance;
import org.jvpoll.syscall.Fuse;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Unistd;

/**
 * Backend 4: a FUSE file served by this process ({@link VpollFileSystem}), mounted once per
 * process by {@link ProcessMount}. Each vpoll fd is an open(2) of that file, exactly as with
 * {@code /dev/vpoll}: foreign code polls it, ioctls it with the module's ABI, or reads and writes
 * it with the EFD_VPOLL protocol.
 *
 * <p>jvpoll's own changes skip the round trip: after open, one ioctl tells the fd's instance, and
 * ctl then updates that instance in memory and sends the wake-up (FUSE_NOTIFY_POLL) itself when a
 * waiter asked for one. Set {@value #CTL_PROPERTY}{@code =ioctl} to make every change an ioctl
 * instead, the dev-vpoll backend's code path (slower; for comparison and diagnosis).
 *
 * <p>Only {@link Fuse#POLL_VISIBLE} bits reach pollers (the kernel folds FUSE's poll reply into a
 * 16-bit mask), so raising any other bit is refused with {@link UnsupportedEventsException}.
 */
final class FuseBackend implements VpollBackend {
    /** {@code direct} (default) or {@code ioctl}. */
    static final String CTL_PROPERTY = ProcessMount.CTL_PROPERTY;

    private volatile Availability availability;

    @Override
    public Backend type() {
        return Backend.FUSE;
    }

    @Override
    public int supportedEvents() {
        return Fuse.POLL_VISIBLE;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            String why;
            try {
                why = org.jvpoll.fuse.FuseProbe.unavailableReason(ProcessMount.options().mounter());
            } catch (IllegalArgumentException e) {
                why = e.getMessage();
            }
            availability = a = why.isEmpty() ? Availability.YES : Availability.no(why);
        }
        return a;
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new BackendUnavailableException(Backend.FUSE, a.errno(), a.detail());
        }
        requireVisible(VpollOp.SET, initialEvents);
        boolean viaIoctl = "ioctl".equals(System.getProperty(CTL_PROPERTY, "direct"));
        FuseMount mount = ProcessMount.acquire();
        int fd = -1;
        try {
            String path = mount.path().toString();
            fd = KernelIo.SYSTEM.open(path, Unistd.O_RDWR | (closeOnExec ? Unistd.O_CLOEXEC : 0)
                    | (nonBlocking ? Unistd.O_NONBLOCK : 0));
            int number = Ioctl.ioctl(fd, VpollFileSystem.IOCTL_INSTANCE, 0, "ioctl(" + path + ", jvpoll instance)");
            VpollInstance instance = mount.fileSystem().instance(number);
            if (instance == null) {
                throw new VpollException("ioctl(" + path + ", jvpoll instance)", 0,
                        "instance " + number + " unknown to this process's FUSE daemon");
            }
            if (initialEvents != 0) {
                instance.ctl(VpollOp.SET.code(), initialEvents);
            }
            return new File(fd, instance, mount, path, viaIoctl);
        } catch (IOException | RuntimeException e) {
            if (fd >= 0) {
                KernelIo.closeAfterFailure(KernelIo.SYSTEM, fd, e);
            }
            ProcessMount.release(mount);
            throw e;
        }
    }

    /** Refuses to raise bits that pollers could never see. */
    static void requireVisible(VpollOp op, int events) {
        int hidden = events & ~Fuse.POLL_VISIBLE;
        if (op != VpollOp.DELETE && hidden != 0) {
            throw new UnsupportedEventsException(Backend.FUSE, hidden,
                    "raise events that FUSE's poll reply cannot carry (it keeps bits 0-10 and 13: "
                            + Events.toString(Fuse.POLL_VISIBLE) + ")");
        }
    }

    static final class File extends VpollFile {
        private final VpollInstance instance;
        private final FuseMount mount;
        private final String path;
        private final boolean viaIoctl;

        File(int fd, VpollInstance instance, FuseMount mount, String path, boolean viaIoctl) {
            super(fd);
            this.instance = instance;
            this.mount = mount;
            this.path = path;
            this.viaIoctl = viaIoctl;
        }

        @Override
        public Backend backend() {
            return Backend.FUSE;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            requireVisible(op, events);
            if (viaIoctl) {
                return KernelIo.SYSTEM.ioctl(fd, Ioctl.vpollRequest(op.code()), events & 0xffffffffL,
                        "ioctl(" + path + " fd " + fd + ", _IO('^', " + op.code() + "))");
            }
            if (mount.fileSystem().isTerminated()) {
                throw new VpollException("vpoll ctl on " + path, Errno.ENOTCONN, "the FUSE connection has ended");
            }
            return instance.ctl(op.code(), events);
        }

        @Override
        protected int doEvents(int fd) throws IOException {
            return instance.events();
        }

        @Override
        protected void releaseDescriptors(int fd) throws IOException {
            try {
                KernelIo.SYSTEM.close(fd);
            } finally {
                ProcessMount.release(mount);
            }
        }
    }
}
