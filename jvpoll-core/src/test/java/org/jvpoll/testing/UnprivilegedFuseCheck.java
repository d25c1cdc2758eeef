package org.jvpoll.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.syscall.Creds;
import org.jvpoll.syscall.Poll;

/**
 * Child-JVM main for an unprivileged user: uses the FUSE backend (which must mount through
 * fusermount3), checks events and a cross-thread wake-up, closes, and checks the unmount.
 * Prints "OK ..." and exits 0, or prints "FAIL ..." and exits 1. Needs no JUnit on the class path.
 */
public final class UnprivilegedFuseCheck {
    private UnprivilegedFuseCheck() {}

    public static void main(String[] args) throws Exception {
        if (Creds.geteuid() == 0) {
            fail("running as root; this check is for an unprivileged user");
        }
        Path path;
        try (VpollFd vfd = VpollFd.create(Events.IN, VpollFd.Options.DEFAULT.backend(Backend.FUSE));
             Probe probe = new Probe(vfd.fd(), Events.IN | Events.PRI)) {
            FuseMount m = ProcessMount.current();
            path = m.path();
            System.out.println("uid " + Creds.geteuid() + " mounted " + path + " with " + m.mounter());
            if (m.mounter() != FuseMount.Mounter.FUSERMOUNT3) {
                fail("expected a fusermount3 mount, got " + m.mounter());
            }
            check(Poll.currentEvents(vfd.fd()) == Events.IN, "poll sees IN");
            vfd.set(0); // before the waiter starts: it must not be able to see the initial IN
            WaitingThread<Integer> waiter = WaitingThread.start(() -> probe.epoll(10_000)).blocked();
            vfd.add(Events.PRI);
            int seen = waiter.get();
            check(seen == Events.PRI, "a waiter blocked in epoll_wait is woken with PRI, saw " + seen);
        }
        check(FuseSupportLite.mounted(path) == 0, "unmounted after close");
        check(!Files.exists(path), "mount point removed");
        System.out.println("OK unprivileged FUSE backend through fusermount3");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            fail(what);
        }
    }

    private static void fail(String what) {
        System.out.println("FAIL " + what);
        System.exit(1);
    }

    /** mountinfo lookup without JUnit. */
    static final class FuseSupportLite {
        static long mounted(Path p) throws java.io.IOException {
            String needle = " " + p + " ";
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(needle)).count();
        }
    }
}
