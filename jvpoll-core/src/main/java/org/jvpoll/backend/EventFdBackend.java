package org.jvpoll.backend;

import java.io.IOException;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.EventFd;

/**
 * Backend 1: a patched kernel's {@code eventfd(init, EFD_VPOLL)}. A change is one 8-byte write of
 * {@code (op << 32) | events}; the mask is one 8-byte read. The kernel wakes waiters on every write.
 */
final class EventFdBackend implements VpollBackend {
    private final KernelIo io;
    private volatile Availability availability;

    EventFdBackend(KernelIo io) {
        this.io = io;
    }

    @Override
    public Backend type() {
        return Backend.EVENTFD;
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
            fd = io.eventfd(0, EventFd.EFD_VPOLL | EventFd.EFD_CLOEXEC);
        } catch (VpollException e) {
            return Availability.no("eventfd(0, EFD_VPOLL) failed with " + Errno.name(e.errno())
                    + ": the kernel lacks the EFD_VPOLL patch", e.errno());
        }
        try {
            io.writeU64(fd, EventFd.vpollRequest(VpollOp.ADD.code(), Events.IN), "write(EFD_VPOLL_ADDEVENTS)");
            long mask = io.readU64(fd, "read(EFD_VPOLL mask)");
            return mask == Events.IN ? Availability.YES
                    : Availability.no("eventfd accepted EFD_VPOLL but read back 0x" + Long.toHexString(mask)
                            + " after adding IN: not vpoll semantics");
        } catch (VpollException e) {
            return Availability.no("eventfd(EFD_VPOLL) probe failed: " + KernelIo.describe(e), e.errno());
        } finally {
            try {
                io.close(fd);
            } catch (VpollException ignored) {
                // the probe's own fd; nothing else can hold its number yet
            }
        }
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new org.jvpoll.BackendUnavailableException(Backend.EVENTFD, a.errno(), a.detail());
        }
        int flags = EventFd.EFD_VPOLL | (closeOnExec ? EventFd.EFD_CLOEXEC : 0)
                | (nonBlocking ? EventFd.EFD_NONBLOCK : 0);
        return new File(io, io.eventfd(initialEvents, flags), nonBlocking);
    }

    static final class File extends VpollFile {
        private final KernelIo io;
        /** Created O_NONBLOCK: io_uring then runs its writes and reads inline (see BatchEngine). */
        final boolean nonBlocking;

        File(KernelIo io, int fd, boolean nonBlocking) {
            super(fd);
            this.io = io;
            this.nonBlocking = nonBlocking;
        }

        @Override
        public Backend backend() {
            return Backend.EVENTFD;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            io.writeU64(fd, EventFd.vpollRequest(op.code(), events), "write(eventfd " + fd + ", " + op + ")");
            // The write returns only a byte count; the mask comes from a read. Another thread's
            // change may land in between: the result is then a later state, never an earlier one.
            return (int) io.readU64(fd, "read(eventfd " + fd + ")");
        }

        @Override
        protected int doEvents(int fd) throws IOException {
            return (int) io.readU64(fd, "read(eventfd " + fd + ")");
        }

        @Override
        protected void releaseDescriptors(int fd) throws IOException {
            io.close(fd);
        }
    }
}
