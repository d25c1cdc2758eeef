package org.jvpoll.net;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

import org.jvpoll.net.lwip.ConnEvents;
import org.jvpoll.net.lwip.IpAddr;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.Netconn;

/**
 * A UDP socket on a {@link NetStack} ({@link NetStack#openUdp}). Its vpoll fd has IN while a
 * datagram waits and OUT always (lwIP sends or drops at once).
 */
public final class UdpSocket extends NetSocket {
    private static final int MAX = 65507;
    private final MemorySegment readBuf = arena.allocate(MAX, 16);
    private final boolean v6;

    UdpSocket(NetStack stack, InetSocketAddress local) throws IOException {
        super(stack, new ConnEvents(ConnEvents.Kind.UDP));
        InetAddress a = local == null ? null : local.getAddress();
        if (a != null && a.isAnyLocalAddress()) {
            a = null;
        }
        v6 = a instanceof Inet6Address || (a == null && stack.config().ipv6() != null);
        long c = newConn(v6 ? Netconn.UDP_IPV6 : Netconn.UDP);
        IpAddr.write(writeAddr, a, v6 ? IpAddr.TYPE_ANY : IpAddr.TYPE_V4);
        int err = Netconn.bind(c, writeAddr, local == null ? 0 : local.getPort());
        if (err != Lwip.ERR_OK) {
            throw NetException.of("bind UDP to " + (local == null ? "*" : local.getAddress().getHostAddress() + ":"
                    + local.getPort()), err);
        }
        ev.attach(vfd);
        ev.onSendSpace();
    }

    /**
     * Sends one datagram with the bytes remaining in {@code src} to {@code target}.
     * @return the count sent (all of them)
     * @throws NetException if lwIP refuses it (no route: ERR_RTE; too big: ERR_MEM/ERR_VAL)
     */
    public int send(ByteBuffer src, InetSocketAddress target) throws IOException {
        Objects.requireNonNull(target, "target");
        int n = src.remaining();
        if (n > MAX) {
            throw new IllegalArgumentException("datagram larger than " + MAX + " bytes: " + n);
        }
        String op = "send to " + target;
        writeLock.lock();
        try {
            ensureOpen();
            MemorySegment nb = Netconn.netbufNew();
            if (nb.address() == 0) {
                throw NetException.of(op, Lwip.ERR_MEM);
            }
            try {
                MemorySegment data = Netconn.netbufAlloc(nb, n);
                if (data.address() == 0) {
                    throw NetException.of(op, Lwip.ERR_MEM);
                }
                MemorySegment.copy(MemorySegment.ofBuffer(src), 0, data, 0, n);
                IpAddr.write(writeAddr, target.getAddress(), IpAddr.TYPE_V4);
                int err = Netconn.sendTo(conn, nb, writeAddr, target.getPort());
                if (err != Lwip.ERR_OK) {
                    throw NetException.of(op, err);
                }
            } finally {
                Netconn.netbufDelete(nb);
            }
            src.position(src.position() + n);
            return n;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Receives one datagram into {@code dst} (truncated to its room, as DatagramChannel does).
     * @return the sender, or null (non-blocking, nothing waiting)
     */
    @SuppressWarnings("restricted") // the netbuf lwIP hands over (48 bytes, see Netconn)
    public InetSocketAddress receive(ByteBuffer dst) throws IOException {
        while (true) {
            readLock.lock();
            try {
                ensureOpen();
                int err = Netconn.recvUdp(conn, readOut);
                if (err == Lwip.ERR_OK) {
                    MemorySegment nb = readOut.get(ValueLayout.ADDRESS, 0).reinterpret(Netconn.NETBUF_SIZE);
                    try {
                        MemorySegment p = nb.get(ValueLayout.ADDRESS, Netconn.NETBUF_P);
                        int total = Lwip.pbufTotLen(p);
                        int copied = Lwip.pbufCopy(p, readBuf, Math.min(total, MAX), 0);
                        int k = Math.min(copied, dst.remaining());
                        MemorySegment.copy(readBuf, 0, MemorySegment.ofBuffer(dst), 0, k);
                        dst.position(dst.position() + k);
                        InetAddress from = IpAddr.read(nb.asSlice(Netconn.NETBUF_ADDR, IpAddr.SIZE));
                        int port = Short.toUnsignedInt(nb.get(ValueLayout.JAVA_SHORT, Netconn.NETBUF_PORT));
                        return new InetSocketAddress(from, port);
                    } finally {
                        Netconn.netbufDelete(nb);
                    }
                }
                if (err != Lwip.ERR_WOULDBLOCK) {
                    checkFailed("receive");
                    throw NetException.of("receive", err);
                }
            } finally {
                readLock.unlock();
            }
            if (!isBlocking()) {
                return null;
            }
            ev.await(true);
        }
    }
}
