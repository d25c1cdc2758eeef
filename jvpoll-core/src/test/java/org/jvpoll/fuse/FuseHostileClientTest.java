package org.jvpoll.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.Events;
import org.jvpoll.backend.KernelIo;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.FuseSupport;

/**
 * A hostile local client (hostile_client.py, run as root and as uid 65534) throws malformed,
 * truncated and unknown requests and ioctls at a served vpoll file: each gets a result or an
 * errno, and after each one the daemon still serves a fresh open. Permissions: the fuse backend's
 * own file is 0600 (uid 65534 gets EACCES); a served device (as root) is 0666 with allow_other, so
 * any user may open it, but each open is its own instance: another user changes only the events
 * of its own opens, never ours, and cannot reach our descriptor through /proc.
 */
class FuseHostileClientTest {
    @TempDir
    Path dir;

    static List<String> runClient(List<String> prefix, List<String> args) throws Exception {
        Path script = Files.createTempFile("hostile_client", ".py");
        try (InputStream in = FuseHostileClientTest.class.getResourceAsStream("hostile_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        script.toFile().setReadable(true, false);
        List<String> cmd = new ArrayList<>(prefix);
        // The system interpreter: a per-user one (pyenv under /root) is not reachable by uid 65534.
        cmd.add(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
        cmd.add(script.toString());
        cmd.addAll(args);
        String out;
        try (ChildProcess client = ChildProcess.start(cmd)) {
            out = client.awaitSuccess(120); // bounded: nothing wedged
        } finally {
            Files.delete(script);
        }
        System.out.println(out.strip());
        assertTrue(out.contains("HEALTHY after") || out.contains("DENIED"), out);
        return out.lines().toList();
    }

    static final List<String> NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");

    @Test
    void hostileRequestsGetAnErrnoAndNeverKillOrWedgeTheDaemonAndOtherUsersCannotTouchOurEvents() throws Exception {
        FuseSupport.requireRootFuse();
        dir.toFile().setExecutable(true, false); // let uid 65534 reach the files
        String add = Long.toString(Ioctl.vpollRequest(1));
        String pid = Long.toString(ProcessHandle.current().pid());
        // The fuse backend's own mount: 0600, so only its user (root here) may open it.
        Path privatePath = dir.resolve("private");
        try (FuseMount served = FuseMount.mount(privatePath, ProcessMount.options(), line -> { })) {
            List<String> root = runClient(List.of(), List.of(served.path().toString(), add));
            assertTrue(root.get(0).startsWith("MODE 100600 uid 0"), root.get(0));
            assertTrue(root.stream().anyMatch(l -> l.startsWith("MODE 100600 uid 0 gid 0 after")), "chmod/chown change nothing");
            List<String> nobody = runClient(NOBODY, List.of(served.path().toString(), add));
            assertEquals("DENIED open O_RDWR -> EACCES", nobody.get(1), "another user cannot open the backend's file");
        }
        // A served device (jvpoll serve as root): 0666 with allow_other, like the module's /dev/vpoll.
        Path servedPath = dir.resolve("served");
        FuseMount.Options o = ProcessMount.options();
        try (FuseMount served = FuseMount.mount(servedPath, new FuseMount.Options(0666, true, o.readers(),
                o.requestTimeoutSeconds(), o.spinMicros(), o.mounter()), line -> { })) {
            int ours = KernelIo.SYSTEM.open(served.path().toString(), Unistd.O_RDWR | Unistd.O_CLOEXEC);
            try {
                assertEquals(Events.IN, Ioctl.ioctl(ours, Ioctl.vpollRequest(1), Events.IN, "ioctl ADD"));
                List<String> nobody = runClient(NOBODY, List.of(served.path().toString(), add, pid, Integer.toString(ours)));
                assertTrue(nobody.get(0).startsWith("MODE 100666 uid 0"), nobody.get(0));
                assertTrue(nobody.stream().anyMatch(l -> l.startsWith("HOSTILE reopen another process's fd")
                        && l.endsWith("EACCES")), "uid 65534 cannot reach our descriptor through /proc");
                assertEquals(Events.IN, Poll.currentEvents(ours), "another user's opens never change our events");
                assertEquals(Events.IN, Ioctl.ioctl(ours, Ioctl.vpollRequest(1), 0, "ioctl ADD 0"));
            } finally {
                Unistd.close(ours);
            }
        }
        assertEquals(List.of(), FuseSupport.mountsAt(privatePath));
        assertEquals(List.of(), FuseSupport.mountsAt(servedPath));
    }
}
