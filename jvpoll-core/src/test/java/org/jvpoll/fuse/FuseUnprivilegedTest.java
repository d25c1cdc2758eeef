package org.jvpoll.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.Events;
import org.jvpoll.backend.KernelIo;
import org.jvpoll.syscall.Creds;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.FuseSupport;
import org.jvpoll.testing.Skip;
import org.jvpoll.testing.UnprivilegedFuseCheck;

/** The fusermount3 path: the /dev/fuse descriptor comes back over a socket (SCM_RIGHTS). */
class FuseUnprivilegedTest {
    @TempDir
    Path dir;

    static void requireFusermount() {
        FuseSupport.requireRootFuse();
        if (FuseProbe.findOnPath(FuseMount.FUSERMOUNT) == null) {
            String why = "fusermount3 not installed (package fuse3; run bin/install-test-deps)";
            throw Skip.because(why);
        }
    }

    @Test
    void fusermount3MountsAndUnmountsAndTheFileWorks() throws Exception {
        requireFusermount();
        Path path = dir.resolve("vpoll");
        FuseMount m = FuseMount.mount(path, new FuseMount.Options(0600, false, 2, 30, 50, FuseMount.Mounter.FUSERMOUNT3),
                line -> { });
        try {
            assertEquals(FuseMount.Mounter.FUSERMOUNT3, m.mounter());
            List<String> lines = FuseSupport.mountsAt(path);
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("fuse.jvpoll " + Owner.self().tag()), "fsname and subtype passed: " + lines);
            int fd = KernelIo.SYSTEM.open(path.toString(), Unistd.O_RDWR | Unistd.O_CLOEXEC);
            try {
                assertEquals(Events.PRI, Ioctl.ioctl(fd, Ioctl.vpollRequest(3), Events.PRI, "ioctl SET"));
                assertEquals(Events.PRI, Poll.currentEvents(fd));
            } finally {
                Unistd.close(fd);
            }
        } finally {
            m.close();
        }
        assertEquals(List.of(), FuseSupport.mountsAt(path), "fusermount3 -u unmounted it");
        assertTrue(Files.notExists(path));
    }

    @Test
    void anUnprivilegedUserGetsTheFuseBackendThroughFusermount3() throws Exception {
        requireFusermount();
        for (String tool : new String[] {"unshare", "setpriv", "mknod"}) {
            if (FuseProbe.findOnPath(tool) == null) {
                String why = tool + " missing (util-linux / coreutils)";
                throw Skip.because(why);
            }
        }
        // /dev/fuse is 0600 on this machine: in a private mount namespace, a 0666 node for the same
        // device is bound over it, so the host's /dev stays untouched.
        String setup = "set -e; d=$(mktemp -d); mount -t tmpfs -o mode=0755 jvpoll-fuse-node \"$d\";"
                + " mknod -m 0666 \"$d/fuse\" c 10 229; mount --bind \"$d/fuse\" /dev/fuse;"
                + " exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \"$@\"";
        String out;
        // uid 65534 cannot read a checkout in a 0700 folder nor root's Maven repository: it gets a readable copy.
        try (ChildProcess.ReadableClassPath classes = new ChildProcess.ReadableClassPath()) {
            List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "bash", "-c", setup, "bash"));
            cmd.addAll(ChildProcess.javaCommandLine(classes.classPath()));
            cmd.addAll(List.of("-Djava.io.tmpdir=/tmp", UnprivilegedFuseCheck.class.getName()));
            try (ChildProcess child = ChildProcess.start(cmd)) {
                out = child.awaitSuccess(60);
            }
        }
        System.out.println(out.strip());
        assertTrue(out.contains("uid 65534 mounted") && out.contains("with FUSERMOUNT3"), out);
        assertTrue(out.contains("OK unprivileged FUSE backend through fusermount3"), out);
        assertEquals(0, Creds.geteuid(), "this JVM stayed root");
    }
}
