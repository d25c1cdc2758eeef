package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * sys/mount.h: mount(2) and umount2(2), as the FUSE backend needs them to mount its file system
 * as root (unprivileged users go through fusermount3 instead).
 *
 * <pre>
 * int mount(const char *source, const char *target, const char *filesystemtype,
 *           unsigned long mountflags, const void *data);
 * int umount2(const char *target, int flags);
 *
 * FUSE's data string: "fd=N,rootmode=OCTAL,user_id=U,group_id=G[,default_permissions][,allow_other]"
 * filesystemtype "fuse.SUBTYPE" shows as that type in /proc/self/mountinfo.
 * </pre>
 */
public final class Mount {
    private Mount() {}

    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    /** umount2: detach now, release when the last user goes (lazy unmount). */
    public static final int MNT_DETACH = 2;
    /** umount2: do not follow a symbolic link at the target. */
    public static final int UMOUNT_NOFOLLOW = 8;
    /** The same as {@link Errno#EBUSY}, kept for fuse/ callers; new code uses Errno. */
    public static final int EBUSY = Errno.EBUSY;

    private static final MethodHandle MOUNT = Syscall.link("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = Syscall.link("umount2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /** mount(2). */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            long rc;
            try {
                rc = (long) MOUNT.invokeExact(arena.allocateFrom(source), arena.allocateFrom(target),
                        arena.allocateFrom(fsType), flags, arena.allocateFrom(data));
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc < 0) {
                // the data string carries no secret, but "fd=N" is meaningless to a reader: omit it
                throw Syscall.failure("mount(" + source + ", " + target + ", " + fsType + ")", rc);
            }
        }
    }

    /** umount2(2), retried on EINTR. */
    public static void umount2(String target, int flags) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(target);
            long rc;
            do {
                try {
                    rc = (long) UMOUNT2.invokeExact(path, flags);
                } catch (Throwable t) {
                    throw Syscall.unexpected(t);
                }
            } while (rc == Syscall.INTERRUPTED);
            if (rc < 0) {
                throw Syscall.failure("umount2(" + target + (flags != 0 ? ", " + Syscall.hex(flags) : "") + ")", rc);
            }
        }
    }
}
