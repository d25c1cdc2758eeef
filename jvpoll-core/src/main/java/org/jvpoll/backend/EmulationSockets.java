package org.jvpoll.backend;

import java.lang.foreign.MemorySegment;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Sockets;

/** Socket calls both emulations make the same way. */
final class EmulationSockets {
    private EmulationSockets() {}

    /** Sends all {@code len} bytes without blocking, or fails naming how many went out. */
    static void sendAll(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        long n = Sockets.send(fd, buf, len, flags | Sockets.MSG_DONTWAIT, what);
        if (n != len) {
            throw new VpollException(what, n < 0 ? (int) -n : 0, "sent " + n + " of " + len + " bytes");
        }
    }

    /**
     * Explains running out of descriptors by what the emulation costs ({@code cost}, e.g. "2
     * descriptors per vpoll fd (...)"), since the call that failed names only a socket.
     *
     * @return {@code e} itself unless it is EMFILE or ENFILE
     */
    static VpollException withDescriptorCost(VpollException e, String cost) {
        if (e.errno() != Errno.EMFILE && e.errno() != Errno.ENFILE) {
            return e;
        }
        VpollException explained = new VpollException(e.call(), e.errno(),
                "the " + cost + "; raise RLIMIT_NOFILE (ulimit -n) or close vpoll fds");
        explained.initCause(e);
        return explained;
    }
}
