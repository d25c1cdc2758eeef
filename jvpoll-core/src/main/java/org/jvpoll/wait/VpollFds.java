package org.jvpoll.wait;

import java.nio.channels.ClosedChannelException;
import java.util.Objects;

import org.jvpoll.VpollFd;

/** The number of an open {@link VpollFd}: a closed one's number may already name another file. */
final class VpollFds {
    private VpollFds() {}

    static int openFd(VpollFd vpoll) throws ClosedChannelException {
        Objects.requireNonNull(vpoll, "vpoll");
        if (!vpoll.isOpen()) {
            throw new org.jvpoll.backend.ClosedVpollFdException("registering a closed vpoll fd: " + vpoll);
        }
        return vpoll.fd();
    }
}
