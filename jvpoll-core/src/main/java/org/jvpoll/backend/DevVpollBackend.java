package org.jvpoll.backend;

import java.io.IOException;

import org.jvpoll.Backend;
import org.jvpoll.BackendUnavailableException;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Unistd;

/**
 * Backend 2: the vpoll kernel module. Each open of the device is a fresh vpoll instance;
 * {@code ioctl(fd, _IO('^', op), events)} changes it and returns the new mask, waking waiters.
 */
final class DevVpollBackend implements VpollBackend {
    static final String DEFAULT_PATH = "/dev/vpoll";

    private final KernelIo io;
    private final String path;
    private volatile Availability availability;

    DevVpollBackend(KernelIo io, String path) {
        this.io = io;
        this.path = path;
    }

    @Override
    public Backend type() {
        return Backend.DEV_VPOLL;
    }

    @Override
    public int supportedEvents() {
        return Events.ALL;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            availability = a = probe();
        }
        return a;
    }

    private Availability probe() {
        int fd;
        try {
            fd = io.open(path, Unistd.O_RDWR | Unistd.O_CLOEXEC);
        } catch (VpollException e) {
            String why = e.errno() != Errno.ENOENT ? "open(" + path + ") failed with " + Errno.name(e.errno())
                    : path.equals(DEFAULT_PATH) ? "no " + path + " (the vpoll kernel module is not loaded)"
                    // A path the user configured: saying "module not loaded" would send them to
                    // the wrong fix when the path itself is wrong.
                    : "the configured path " + path + " (-D" + Backends.DEV_VPOLL_PATH_PROPERTY + ") does not exist";
            return Availability.no(why, e.errno());
        }
        try {
            // ADD of no events changes nothing and returns the mask: a vpoll device answers >= 0.
            io.ioctl(fd, Ioctl.vpollRequest(VpollOp.ADD.code()), 0, "ioctl(VPOLL_IO_ADDEVENTS)");
            return Availability.YES;
        } catch (VpollException e) {
            return Availability.no(path + " is not a vpoll device: " + KernelIo.describe(e), e.errno());
        } finally {
            try {
                io.close(fd);
            } catch (VpollException ignored) {
                // the probe's own fd
            }
        }
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new BackendUnavailableException(Backend.DEV_VPOLL, a.errno(), a.detail());
        }
        int flags = Unistd.O_RDWR | (closeOnExec ? Unistd.O_CLOEXEC : 0) | (nonBlocking ? Unistd.O_NONBLOCK : 0);
        int fd = io.open(path, flags);
        if (initialEvents != 0) {
            try {
                io.ioctl(fd, Ioctl.vpollRequest(VpollOp.SET.code()), initialEvents & 0xffffffffL,
                        "ioctl(" + path + ", VPOLL_IO_SETEVENTS)");
            } catch (VpollException e) {
                KernelIo.closeAfterFailure(io, fd, e);
                throw e;
            }
        }
        return new File(io, fd, path);
    }

    static final class File extends VpollFile {
        private final KernelIo io;
        private final String path;

        File(KernelIo io, int fd, String path) {
            super(fd);
            this.io = io;
            this.path = path;
        }

        @Override
        public Backend backend() {
            return Backend.DEV_VPOLL;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            return io.ioctl(fd, Ioctl.vpollRequest(op.code()), events & 0xffffffffL,
                    "ioctl(" + path + " fd " + fd + ", _IO('^', " + op.code() + "))");
        }

        /**
         * The module has no read; ADD of no events is the one exact way to get all 28 bits (poll
         * reports only 16). Like every module ioctl, it wakes the fd's waiters.
         */
        @Override
        protected int doEvents(int fd) throws IOException {
            return io.ioctl(fd, Ioctl.vpollRequest(VpollOp.ADD.code()), 0, "ioctl(" + path + ", VPOLL_IO_ADDEVENTS 0)");
        }

        @Override
        protected void releaseDescriptors(int fd) throws IOException {
            io.close(fd);
        }
    }
}
