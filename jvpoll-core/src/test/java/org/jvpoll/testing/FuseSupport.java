package org.jvpoll.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jvpoll.Backend;

/** Shared guards and probes for tests that mount FUSE file systems. */
public final class FuseSupport {
    private FuseSupport() {}

    /** Skips (printing why) unless this machine can mount FUSE as root. */
    public static void requireRootFuse() {
        String why = null;
        if (!Backend.FUSE.isAvailable()) {
            why = "FUSE backend not available here: " + Backend.FUSE.availability();
        } else if (org.jvpoll.syscall.Creds.geteuid() != 0) {
            why = "needs root (mount(2) of FUSE, unmounting other processes' stale mounts)";
        }
        if (why != null) {
            throw Skip.because(why);
        }
    }

    /** @return the mountinfo lines that mount something at {@code path} */
    public static List<String> mountsAt(Path path) throws IOException {
        String p = " " + path.toAbsolutePath().normalize() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(p)).toList();
    }
}
