package org.jvpoll.fuse;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.fuse.FuseMount.Mounter;
import org.jvpoll.syscall.Creds;
import org.jvpoll.syscall.Unistd;

/** Whether FUSE can be mounted here, and why not: /dev/fuse, root or the fusermount3 helper. */
public final class FuseProbe {
    private FuseProbe() {}

    /** @return "" if FUSE can be used here, else why not */
    public static String unavailableReason(Mounter mounter) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Unistd.open(arena.allocateFrom(Mounters.DEV_FUSE), Unistd.O_RDWR | Unistd.O_CLOEXEC, "open(/dev/fuse)");
        } catch (VpollException e) {
            return switch (e.errno()) {
                case Errno.ENOENT -> "no /dev/fuse (FUSE is not available here; a container needs --device /dev/fuse)";
                case Errno.EACCES, Errno.EPERM -> "open(/dev/fuse) failed with " + Errno.name(e.errno())
                        + " (no permission to use FUSE)";
                default -> "open(/dev/fuse) failed with " + Errno.name(e.errno());
            };
        }
        Unistd.closeQuietly(fd);
        boolean root = Creds.geteuid() == 0;
        boolean helper = findOnPath(FuseMount.FUSERMOUNT) != null;
        return switch (mounter) {
            case SYSCALL -> root ? "" : "mount(2) needs root (jvpoll.fuse.mounter=mount)";
            case FUSERMOUNT3 -> helper ? "" : FuseMount.FUSERMOUNT + " not found on PATH (install the fuse3 package)";
            case AUTO -> root || helper ? "" : "not root and " + FuseMount.FUSERMOUNT
                    + " not found on PATH (install the fuse3 package)";
        };
    }

    static Path findOnPath(String program) {
        String pathVar = System.getenv("PATH");
        for (String dir : (pathVar == null ? "/usr/bin:/bin" : pathVar).split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, program);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }
}
