package org.jvpoll.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.Skip;
import org.jvpoll.testing.UnixFdPassing;

/**
 * A C program linked with Debian's libvpoll (vm/interop/vpoll_peer.c) and this jvpoll process
 * exchange vpoll fds over a UNIX socket and each sees the other's changes. Needs a real
 * /dev/vpoll (the module guest, or a served device) and the compiled peer (-Djvpoll.vm.peer).
 */
class LibvpollPeerTest {
    @Test
    void libvpollAndJvpollShareFdsBothWays() throws Throwable {
        String peer = System.getProperty("jvpoll.vm.peer");
        boolean required = "dev-vpoll".equals(BackendSelection.required());
        if (!required && (peer == null || !Backend.DEV_VPOLL.isAvailable())) {
            throw Skip.because("LibvpollPeerTest: needs /dev/vpoll and -Djvpoll.vm.peer (run vm/module-guest.sh)");
        }
        Path sock = Path.of("/tmp", "jvpoll-interop-" + ProcessHandle.current().pid() + ".sock");
        try (ChildProcess p = ChildProcess.start(List.of(peer, sock.toString()));
             VpollFd mine = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.DEV_VPOLL))) {
            p.awaitLine("READY", 30);
            int theirs;
            try (UnixFdPassing link = new UnixFdPassing(sock.toString())) {
                link.sendFd(mine.fd(), 'j');
                int[] got = link.recvFd();
                assertEquals('c', got[0]);
                theirs = got[1];
                // 1. libvpoll changed our fd.
                assertEquals('a', link.recvByte());
                assertEquals(Events.IN | Events.PRI, mine.events());
                assertEquals(Events.IN | Events.PRI, Poll.currentEvents(mine.fd()));
                // 2. We change libvpoll's fd with the module's ioctl, as jvpoll's dev-vpoll backend does.
                int mask = Ioctl.ioctl(theirs, Ioctl.vpollRequest(VpollOp.ADD.code()), Events.OUT, "ioctl(theirs)");
                assertEquals(Events.OUT, mask);
                link.sendByte('b');
                // 3. Wake the peer, which is blocked in poll(2) on our fd.
                BlockedThreads.awaitAnyThreadBlocked(p.pid(), BlockedThreads.WAITS);
                mine.add(Events.HUP);
            }
            Unistd.close(theirs);
            String out = p.awaitSuccess(30);
            System.out.println(out);
            assertTrue(out.lines().anyMatch("PEER OK"::equals), out);
        } finally {
            Files.deleteIfExists(sock);
        }
    }
}
