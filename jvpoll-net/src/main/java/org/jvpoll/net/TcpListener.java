package org.jvpoll.net;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.jvpoll.net.lwip.ConnEvents;
import org.jvpoll.net.lwip.IpAddr;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.Netconn;

/**
 * A listening TCP socket on a {@link NetStack} ({@link NetStack#listen}). Its vpoll fd has IN
 * while a connection waits to be accepted.
 */
public final class TcpListener extends NetSocket {

    TcpListener(NetStack stack) throws IOException {
        super(stack, new ConnEvents(ConnEvents.Kind.LISTENER));
        ev.attach(vfd);
    }

    void listen(InetSocketAddress local, int backlog) throws IOException {
        String op = "listen on " + (local == null ? "*" : local.getAddress().getHostAddress() + ":" + local.getPort());
        // a wildcard (0.0.0.0 or ::) means every address of this stack: dual-stack if it has IPv6
        boolean v6 = stack.config().ipv6() != null && (local == null || local.getAddress().isAnyLocalAddress()
                || local.getAddress() instanceof Inet6Address);
        long c = newConn(v6 ? Netconn.TCP_IPV6 : Netconn.TCP);
        InetAddress a = local == null ? null : local.getAddress();
        if (a != null && a.isAnyLocalAddress()) {
            // lwIP has one port space for all stacks: an IPv4-only stack binds its own address, so
            // each stack can listen on the same port; a dual-stack listener binds lwIP's any-type
            a = v6 ? null : stack.config().ipv4();
        }
        IpAddr.write(writeAddr, a, v6 ? IpAddr.TYPE_ANY : IpAddr.TYPE_V4);
        int err = Netconn.bind(c, writeAddr, local == null ? 0 : local.getPort());
        if (err != Lwip.ERR_OK) {
            throw NetException.of(op, err);
        }
        err = Netconn.listen(c, backlog);
        if (err != Lwip.ERR_OK) {
            throw NetException.of(op, err);
        }
    }

    /**
     * Accepts a connection. Blocking: waits for one. Non-blocking: returns null if none waits.
     * The new socket is blocking, on the same stack, with its own vpoll fd.
     */
    public TcpSocket accept() throws IOException {
        while (true) {
            long accepted;
            readLock.lock();
            try {
                ensureOpen();
                int err = Netconn.accept(conn, readOut);
                if (err == Lwip.ERR_OK) {
                    accepted = readOut.get(ValueLayout.JAVA_LONG, 0);
                } else if (err == Lwip.ERR_WOULDBLOCK) {
                    accepted = 0;
                } else {
                    checkFailed("accept");
                    throw NetException.of("accept", err);
                }
            } finally {
                readLock.unlock();
            }
            if (accepted != 0) {
                return stack.adopt(accepted);
            }
            if (!isBlocking()) {
                return null;
            }
            ev.await(true);
        }
    }
}
