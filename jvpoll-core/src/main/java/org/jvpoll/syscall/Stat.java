package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * sys/stat.h: statx, used for a descriptor's file identity (device, inode). statx's layout is the
 * same on every architecture, unlike struct stat (glibc 2.28, Linux 4.11).
 *
 * <pre>
 * int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf);
 *     // statx(fd, "", AT_EMPTY_PATH, STATX_INO, buf) describes fd itself
 * struct statx {                 // 256 bytes
 *     __u32 stx_mask;            //   0
 *     ...
 *     __u64 stx_ino;             //  32
 *     ...
 *     __u32 stx_dev_major;       // 136
 *     __u32 stx_dev_minor;       // 140
 *     ...
 * };
 * </pre>
 */
public final class Stat {
    private Stat() {}

    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int STATX_INO = 0x100;
    /** struct statx, with the fields jvpoll reads named and the rest as padding. */
    static final StructLayout STATX = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"), MemoryLayout.paddingLayout(28),
            JAVA_LONG.withName("stx_ino"), MemoryLayout.paddingLayout(96),
            JAVA_INT.withName("stx_dev_major"), JAVA_INT.withName("stx_dev_minor"),
            MemoryLayout.paddingLayout(112)).withName("statx");
    private static final VarHandle STX_INO = STATX.varHandle(PathElement.groupElement("stx_ino"));
    private static final VarHandle STX_DEV_MAJOR = STATX.varHandle(PathElement.groupElement("stx_dev_major"));
    private static final VarHandle STX_DEV_MINOR = STATX.varHandle(PathElement.groupElement("stx_dev_minor"));

    /** A file's identity: two descriptors with equal identities refer to the same file. */
    public record FileId(long dev, long ino) {}

    private static final MethodHandle STATX_CALL = Syscall.link("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final ThreadLocal<MemorySegment> BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATX));
    private static final MemorySegment EMPTY = Arena.global().allocateFrom("");

    /**
     * @return the identity of the file {@code fd} refers to, or null if {@code fd} is not open
     *         (EBADF)
     */
    public static FileId identity(int fd) throws VpollException {
        MemorySegment buf = BUF.get();
        long rc;
        try {
            rc = (long) STATX_CALL.invokeExact(fd, EMPTY, AT_EMPTY_PATH, STATX_INO, buf);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc == -Errno.EBADF) {
            return null;
        }
        if (rc < 0) {
            throw Syscall.failure("statx(" + fd + ", AT_EMPTY_PATH)", rc);
        }
        long dev = ((long) (int) STX_DEV_MAJOR.get(buf, 0L) << 32) | ((int) STX_DEV_MINOR.get(buf, 0L) & 0xffffffffL);
        return new FileId(dev, (long) STX_INO.get(buf, 0L));
    }
}
