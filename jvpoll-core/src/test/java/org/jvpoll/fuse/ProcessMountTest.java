package org.jvpoll.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.FuseSupport;
import org.jvpoll.testing.HoldFuseFd;

/** The in-process mount: made on demand, gone with the last fd, and crashes leave nothing that lasts. */
class ProcessMountTest {
    static final VpollFd.Options FUSE = VpollFd.Options.DEFAULT.backend(Backend.FUSE);

    @Test
    void theMountLivesWhileFdsAreOpenAndGoesWithTheLastOne() throws Exception {
        FuseSupport.requireRootFuse();
        assertNull(ProcessMount.current(), "no FUSE fd is open, so nothing is mounted");
        VpollFd a = VpollFd.create(Events.IN, FUSE);
        FuseMount mount = ProcessMount.current();
        assertNotNull(mount);
        Path path = mount.path();
        assertEquals(ProcessMount.directory(), path.getParent());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
        List<String> lines = FuseSupport.mountsAt(path);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains(" - " + FuseMount.FS_TYPE + " " + Owner.self().tag() + " "), lines.get(0));

        VpollFd b = VpollFd.create(0, FUSE);
        assertSame(mount, ProcessMount.current(), "one mount per process");
        a.close();
        assertEquals(1, FuseSupport.mountsAt(path).size(), "still used by b");
        b.close();
        assertNull(ProcessMount.current());
        assertEquals(List.of(), FuseSupport.mountsAt(path), "unmounted with the last fd");
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "mount point removed");
        assertTrue(mount.fileSystem().isTerminated(), "daemon threads ended, /dev/fuse closed");
    }

    @Test
    void aKilledProcesssMountIsFoundStaleAndCleaned() throws Exception {
        FuseSupport.requireRootFuse();
        Path path;
        long pid;
        try (ChildProcess child = ChildProcess.java(HoldFuseFd.class.getName())) {
            String line = child.awaitLine("MOUNTED ", 30);
            path = Path.of(line.split(" ")[1]);
            pid = child.pid();
            child.signal("KILL");
            child.awaitExit(10);
        }
        assertEquals(ProcessMount.directory(), path.getParent(), "the child used the same per-user directory");
        assertEquals(1, FuseSupport.mountsAt(path).size(), "SIGKILL left the mount behind");
        org.jvpoll.VpollException dead = org.junit.jupiter.api.Assertions.assertThrows(org.jvpoll.VpollException.class,
                () -> org.jvpoll.backend.KernelIo.SYSTEM.open(path.toString(), org.jvpoll.syscall.Unistd.O_RDWR));
        assertEquals(org.jvpoll.Errno.ENOTCONN, dead.errno(), "its connection is dead: " + dead.getMessage());

        List<String> log = new ArrayList<>();
        ProcessMount.cleanDirectory(ProcessMount.directory(), log::add);
        assertEquals(List.of(), FuseSupport.mountsAt(path), "stale mount unmounted");
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "its mount-point file deleted");
        assertTrue(log.stream().anyMatch(l -> l.contains("stale") && l.contains(path.toString())
                && l.contains("process " + pid)), "one log line names it: " + log);
    }

    @Test
    void ownersAndMountTablesAreParsed() {
        Owner self = Owner.self();
        assertTrue(self.isAlive());
        assertEquals(self, Owner.parse(self.tag()));
        assertEquals(self, Owner.parse("/tmp/x/" + self.tag()));
        assertFalse(new Owner(self.pid(), self.startTime() + 1).isAlive(), "a reused pid is not the owner");
        assertNull(Owner.parse("jvpoll-12"));
        assertNull(Owner.parse("sshfs"));
        List<MountTable.Entry> e = MountTable.parse(List.of(
                "42 27 0:39 / /tmp/a\\040b/vpoll rw,nosuid,nodev,relatime - fuse.jvpoll jvpoll-7-9 rw,user_id=0",
                "43 27 0:40 / /mnt rw shared:5 master:1 - ext4 /dev/sda1 rw",
                "garbage"));
        assertEquals(2, e.size());
        assertEquals(new MountTable.Entry(Path.of("/tmp/a b/vpoll"), "fuse.jvpoll", "jvpoll-7-9"), e.get(0));
        assertEquals(new MountTable.Entry(Path.of("/mnt"), "ext4", "/dev/sda1"), e.get(1));
    }
}
