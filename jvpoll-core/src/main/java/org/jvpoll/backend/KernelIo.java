package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Unistd;

/**
 * The system calls the two kernel backends make, behind one seam so their encodings can be
 * verified here, where neither the EFD_VPOLL patch nor the module exists: tests substitute a
 * recording model of the kernel side (see the libvpoll-eventfd patch and module sources).
 */
public interface KernelIo {
    int eventfd(int initval, int flags) throws VpollException;

    /** Writes exactly 8 bytes: the u64 in native byte order, as C's uint64_t. */
    void writeU64(int fd, long value, String what) throws VpollException;

    /** Reads exactly 8 bytes as a native-order u64. */
    long readU64(int fd, String what) throws VpollException;

    int open(String path, int flags) throws VpollException;

    /** ioctl(fd, request, (unsigned long) arg). @return its non-negative result */
    int ioctl(int fd, long request, long arg, String what) throws VpollException;

    void close(int fd) throws VpollException;

    /** The real system calls. */
    KernelIo SYSTEM = new KernelIo() {
        private final ThreadLocal<MemorySegment> u64 = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_LONG));

        @Override
        public int eventfd(int initval, int flags) throws VpollException {
            return EventFd.eventfd(initval, flags);
        }

        @Override
        public void writeU64(int fd, long value, String what) throws VpollException {
            MemorySegment buf = u64.get();
            buf.set(JAVA_LONG, 0, value);
            long n = Unistd.write(fd, buf, 8, what);
            if (n != 8) {
                throw n < 0 ? new VpollException(what, (int) -n, null)
                        : new VpollException(what, 0, "wrote " + n + " of 8 bytes");
            }
        }

        @Override
        public long readU64(int fd, String what) throws VpollException {
            MemorySegment buf = u64.get();
            long n = Unistd.read(fd, buf, 8, what);
            if (n != 8) {
                throw n < 0 ? new VpollException(what, (int) -n, null)
                        : new VpollException(what, 0, "read " + n + " of 8 bytes");
            }
            return buf.get(JAVA_LONG, 0);
        }

        @Override
        public int open(String path, int flags) throws VpollException {
            try (Arena arena = Arena.ofConfined()) {
                return Unistd.open(arena.allocateFrom(path), flags, "open(" + path + ")");
            }
        }

        @Override
        public int ioctl(int fd, long request, long arg, String what) throws VpollException {
            return Ioctl.ioctl(fd, request, arg, what);
        }

        @Override
        public void close(int fd) throws VpollException {
            Unistd.close(fd);
        }
    };

    /** Closes {@code fd} after a failed creation step, attaching any close error to {@code cause}. */
    static void closeAfterFailure(KernelIo io, int fd, Exception cause) {
        try {
            io.close(fd);
        } catch (VpollException e) {
            cause.addSuppressed(e);
        }
    }

    /** errno helper for availability messages. */
    static String describe(VpollException e) {
        return Errno.name(e.errno()) + " from " + e.call();
    }
}
