package org.jvpoll.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.jvpoll.fuse.FuseMount.Mounter;
import org.jvpoll.syscall.Creds;

/**
 * Mounts left by jvpoll processes that died before unmounting: recognised by their source
 * {@code jvpoll-PID-STARTTIME} ({@link Owner}) and lazily unmounted.
 */
final class StaleMounts {
    private StaleMounts() {}

    /**
     * Finds jvpoll mounts at any of {@code paths}, or directly inside {@code dir}, whose serving
     * process is gone, and unmounts them lazily, logging one line each.
     *
     * @return the mount points cleaned
     * @throws IOException if a mount at one of {@code paths} belongs to a live process
     */
    static List<Path> clean(List<Path> paths, Path dir, Consumer<String> log) throws IOException {
        List<Path> cleaned = new ArrayList<>();
        // Mounts may be stacked at one path: clean until the top one is live or none is left.
        for (int round = 0; round < 16; round++) {
            boolean again = false;
            for (MountTable.Entry e : MountTable.read()) {
                boolean ours = e.fsType().equals(FuseMount.FS_TYPE) || e.source().startsWith(Owner.PREFIX) && e.fsType().startsWith("fuse");
                boolean here = paths.contains(e.mountPoint()) || dir != null && dir.equals(e.mountPoint().getParent());
                if (!ours || !here) {
                    continue;
                }
                Owner owner = Owner.parse(e.source());
                if (owner != null && owner.isAlive()) {
                    if (paths.contains(e.mountPoint())) {
                        throw new IOException(e.mountPoint() + " is already served by jvpoll process " + owner.pid()
                                + (owner.pid() == ProcessHandle.current().pid() ? " (this process)" : ""));
                    }
                    continue;
                }
                Mounter how = Creds.geteuid() == 0 ? Mounter.SYSCALL : Mounter.FUSERMOUNT3;
                Mounters.unmount(e.mountPoint(), how, true);
                String who = owner == null ? "an unknown process" : "process " + owner.pid();
                log.accept("removed a stale jvpoll FUSE mount at " + e.mountPoint() + " (" + who
                        + " that served it is gone)");
                cleaned.add(e.mountPoint());
                again = true;
            }
            if (!again) {
                break;
            }
        }
        return cleaned;
    }
}
