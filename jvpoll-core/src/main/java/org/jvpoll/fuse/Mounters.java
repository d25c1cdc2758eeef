package org.jvpoll.fuse;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.fuse.FuseMount.Mounter;
import org.jvpoll.fuse.FuseMount.Options;
import org.jvpoll.syscall.Creds;
import org.jvpoll.syscall.Mount;
import org.jvpoll.syscall.Spawn;
import org.jvpoll.syscall.UnixSockets;
import org.jvpoll.syscall.Unistd;

/**
 * The two ways to mount a vpoll file and to unmount it: mount(2) on a /dev/fuse descriptor opened
 * here (root), or the setuid helper fusermount3, which hands the descriptor back over a socket.
 */
final class Mounters {
    private Mounters() {}

    static final String DEV_FUSE = "/dev/fuse";
    private static final int COMM_FD = 3;
    private static final String FS_TYPE = FuseMount.FS_TYPE;
    private static final String SUBTYPE = FuseMount.SUBTYPE;
    private static final String FUSERMOUNT = FuseMount.FUSERMOUNT;

    static int mountWithSyscall(Path path, Owner self, Options options) throws VpollException {
        int devFd;
        try (Arena arena = Arena.ofConfined()) {
            devFd = Unistd.open(arena.allocateFrom(DEV_FUSE), Unistd.O_RDWR | Unistd.O_CLOEXEC, "open(/dev/fuse)");
        }
        String data = "fd=" + devFd + ",rootmode=" + Integer.toOctalString(org.jvpoll.syscall.Fuse.S_IFREG)
                + ",user_id=" + Creds.geteuid() + ",group_id=" + Creds.getegid() + ",default_permissions"
                + (options.allowOther() ? ",allow_other" : "");
        try {
            Mount.mount(self.tag(), path.toString(), FS_TYPE, Mount.MS_NOSUID | Mount.MS_NODEV, data);
        } catch (VpollException e) {
            Unistd.closeQuietly(devFd);
            throw e;
        }
        return devFd;
    }

    /** fusermount3 mounts (it is setuid root) and sends the /dev/fuse fd back over a socket. */
    static int mountWithFusermount(Path path, Owner self, Options options) throws VpollException {
        int[] sv = UnixSockets.socketpair();
        int pid;
        try {
            int childEnd = sv[1];
            if (childEnd == COMM_FD) { // dup2 onto itself would keep close-on-exec
                childEnd = Unistd.dup(sv[1]);
                Unistd.closeQuietly(sv[1]);
                sv[1] = childEnd;
            }
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("_FUSE_COMMFD", Integer.toString(COMM_FD));
            String opts = "default_permissions,nosuid,nodev,fsname=" + self.tag() + ",subtype=" + SUBTYPE
                    + (options.allowOther() ? ",allow_other" : "");
            pid = Spawn.spawn(List.of(FUSERMOUNT, "-o", opts, "--", path.toString()), env, childEnd, COMM_FD);
        } catch (VpollException e) {
            Unistd.closeQuietly(sv[0]);
            Unistd.closeQuietly(sv[1]);
            throw e;
        }
        Unistd.closeQuietly(sv[1]);
        int fd;
        try {
            fd = UnixSockets.receiveFd(sv[0], "recvmsg(fusermount3 socket)");
        } finally {
            Unistd.closeQuietly(sv[0]);
        }
        int status = Spawn.waitFor(pid);
        if (fd < 0 || !Spawn.succeeded(status)) {
            if (fd >= 0) {
                Unistd.closeQuietly(fd);
            }
            throw new VpollException(FUSERMOUNT + " " + path, 0, "it ended with " + Spawn.describe(status)
                    + (fd < 0 ? " without passing a /dev/fuse descriptor" : "") + " (its message is on stderr)");
        }
        return fd;
    }

    /** Unmounts {@code path}: plainly if nothing uses it, else lazily (MNT_DETACH). */
    static void unmount(Path path, Mounter mounter, boolean lazyOnly) throws IOException {
        if (mounter == Mounter.SYSCALL) {
            if (!lazyOnly) {
                try {
                    Mount.umount2(path.toString(), Mount.UMOUNT_NOFOLLOW);
                    return;
                } catch (VpollException e) {
                    if (e.errno() == Errno.EINVAL) {
                        return; // not mounted (any more)
                    }
                    if (e.errno() != Mount.EBUSY) {
                        throw e;
                    }
                }
            }
            try {
                Mount.umount2(path.toString(), Mount.MNT_DETACH | Mount.UMOUNT_NOFOLLOW);
            } catch (VpollException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
            }
        } else {
            runFusermountUnmount(path);
        }
    }

    private static void runFusermountUnmount(Path path) throws IOException {
        Process p = new ProcessBuilder(FUSERMOUNT, "-u", "-q", "-z", "--", path.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes()).trim();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(FUSERMOUNT + " -u " + path + " did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(FUSERMOUNT + " -u " + path + ": interrupted", e);
        }
        if (p.exitValue() != 0 && !output.contains("not mounted") && !output.contains("not found in /etc/mtab")) {
            throw new IOException(FUSERMOUNT + " -u " + path + " failed (exit " + p.exitValue() + "): " + output);
        }
    }
}
