package org.jvpoll.net;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

import org.jvpoll.net.lwip.ConnEvents;
import org.jvpoll.net.lwip.IpAddr;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.Netconn;

/**
 * A TCP connection on a {@link NetStack}: {@link #connect}, {@link #read}, {@link #write},
 * {@link #shutdownOutput()}, {@link #shutdownInput()}, {@link #close()}. Made by
 * {@link NetStack#openTcp()} (client) or {@link TcpListener#accept()} (server side).
 *
 * <p>Events of {@link #vpollFd()}: IN when data or the end of stream can be read, OUT when
 * {@link #write} would queue at least one byte, RDHUP (with IN) after the peer's FIN, HUP after
 * both directions are shut, ERR|HUP after a reset, a refused or timed-out connect, or the stack's
 * close — then {@link #read} and {@link #write} throw {@link NetException} with lwIP's error.
 */
public final class TcpSocket extends NetSocket {
    private static final int CHUNK = 65535;
    private final MemorySegment readBuf = arena.allocate(CHUNK, 16);
    private final MemorySegment writeBuf = arena.allocate(CHUNK, 16);
    private byte[] pending;
    private int pendingPos;
    private boolean connecting;
    private boolean connected;
    private boolean outputShut;
    private InetSocketAddress remote;

    TcpSocket(NetStack stack) throws IOException {
        super(stack, new ConnEvents(ConnEvents.Kind.TCP));
        ev.attach(vfd);
    }

    TcpSocket(NetStack stack, long accepted) throws IOException {
        super(stack, ConnEvents.accepted(accepted));
        conn = accepted;
        connected = true;
        ev.attach(vfd);
    }

    /**
     * Connects to {@code remote} through this stack's interface. Blocking: returns true once
     * connected, or throws (refused: {@link NetException} with errno ECONNREFUSED). Non-blocking:
     * returns false at once; OUT (connected) or ERR|HUP (failed) follows on the vpoll fd, then
     * call {@link #finishConnect()}.
     */
    public boolean connect(InetSocketAddress remote) throws IOException {
        Objects.requireNonNull(remote, "remote");
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + remote);
        }
        String op = "connect to " + remote.getAddress().getHostAddress() + ":" + remote.getPort();
        writeLock.lock();
        try {
            ensureOpen();
            if (connected || connecting) {
                throw new NetException(op, Lwip.ERR_ISCONN, Lwip.errno(Lwip.ERR_ISCONN), "already connected or connecting");
            }
            long c = newConn(IpAddr.isV4(remote.getAddress()) ? Netconn.TCP : Netconn.TCP_IPV6);
            IpAddr.write(writeAddr, remote.getAddress(), IpAddr.TYPE_V4);
            int err = Netconn.connect(c, writeAddr, remote.getPort());
            if (err != Lwip.ERR_OK && err != Lwip.ERR_INPROGRESS) {
                throw NetException.of(op, err);
            }
            this.remote = remote;
            connecting = true;
        } finally {
            writeLock.unlock();
        }
        if (!isBlocking()) {
            return ev.writable() && !ev.failed() && finishConnect(); // failures: from finishConnect
        }
        while (!finishConnect()) {
            ev.await(false);
        }
        return true;
    }

    /**
     * Completes a non-blocking connect. @return true when connected, false while still connecting
     * @throws NetException if the connection failed (refused: errno ECONNREFUSED, lwIP ERR_RST)
     */
    public boolean finishConnect() throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            if (connected) {
                return true;
            }
            if (!connecting) {
                throw new NetException("finishConnect", Lwip.ERR_CONN, Lwip.errno(Lwip.ERR_CONN), "not connecting");
            }
            String op = "connect to " + remote.getAddress().getHostAddress() + ":" + remote.getPort();
            if (ev.failed()) {
                int err = Netconn.err(conn);
                connecting = false;
                if (err == Lwip.ERR_RST) {
                    throw new NetException(op, err, 111, "Connection refused");
                }
                if (err == Lwip.ERR_OK) {
                    checkFailed(op);
                    err = Lwip.ERR_ABRT;
                }
                throw NetException.of(op, err);
            }
            if (ev.writable()) {
                connecting = false;
                connected = true;
                return true;
            }
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    /** @return whether the connection is established (it may have failed since: see {@link #events()}) */
    public boolean isConnected() {
        return connected;
    }

    /** @return the peer's address, or null before connect */
    public InetSocketAddress remoteAddress() throws IOException {
        return connected || connecting ? address(false) : null;
    }

    /** Reads into {@code dst}. @return the count, 0 (non-blocking, nothing there, or no room), or -1 at end of stream */
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n = dst.remaining();
        if (dst.hasArray()) {
            int r = read(dst.array(), dst.arrayOffset() + dst.position(), n);
            if (r > 0) {
                dst.position(dst.position() + r);
            }
            return r;
        }
        byte[] tmp = new byte[Math.min(n, CHUNK)];
        int r = read(tmp, 0, tmp.length);
        if (r > 0) {
            dst.put(tmp, 0, r);
        }
        return r;
    }

    /** Reads into {@code b[off..off+len)}. @return the count, 0 (non-blocking and nothing there), or -1 at end of stream */
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (true) {
            readLock.lock();
            try {
                ensureOpen();
                if (!connected) {
                    throw new NetException("read", Lwip.ERR_CONN, Lwip.errno(Lwip.ERR_CONN), "not connected");
                }
                if (pending != null) {
                    int k = Math.min(len, pending.length - pendingPos);
                    System.arraycopy(pending, pendingPos, b, off, k);
                    pendingPos += k;
                    if (pendingPos == pending.length) {
                        pending = null;
                    }
                    ev.setLeftover(pending == null ? 0 : pending.length - pendingPos);
                    return k;
                }
                if (ev.eof()) {
                    return -1;
                }
                int err = Netconn.recvTcp(conn, readOut);
                if (err == Lwip.ERR_OK) {
                    MemorySegment p = readOut.get(ValueLayout.ADDRESS, 0);
                    int total = Lwip.pbufTotLen(p);
                    int copied = Lwip.pbufCopy(p, readBuf, total, 0);
                    Lwip.pbufFree(p);
                    int k = Math.min(len, copied);
                    MemorySegment.copy(readBuf, ValueLayout.JAVA_BYTE, 0, b, off, k);
                    if (k < copied) {
                        pending = new byte[copied - k];
                        MemorySegment.copy(readBuf, ValueLayout.JAVA_BYTE, k, pending, 0, pending.length);
                        pendingPos = 0;
                        ev.setLeftover(pending.length);
                    }
                    return k;
                }
                if (err == Lwip.ERR_CLSD) {
                    ev.setEof();
                    return -1;
                }
                if (err != Lwip.ERR_WOULDBLOCK) {
                    checkFailed("read");
                    throw readError(err);
                }
            } finally {
                readLock.unlock();
            }
            if (!isBlocking()) {
                return 0;
            }
            ev.await(true);
        }
    }

    private NetException readError(int err) {
        if (err == Lwip.ERR_RST) {
            return new NetException("read", err, 104, "Connection reset by peer");
        }
        return NetException.of("read", err);
    }

    /** Writes from {@code src}. Blocking: all of it. @return the count queued (non-blocking: maybe 0) */
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (src.hasArray()) {
            int w = write(src.array(), src.arrayOffset() + src.position(), n);
            src.position(src.position() + w);
            return w;
        }
        byte[] tmp = new byte[n];
        src.get(src.position(), tmp);
        int w = write(tmp, 0, n);
        src.position(src.position() + w);
        return w;
    }

    /** Writes {@code b[off..off+len)}. Blocking: all of it. @return the count queued (non-blocking: maybe 0) */
    public int write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        int done = 0;
        while (done < len) {
            writeLock.lock();
            try {
                ensureOpen();
                if (!connected) {
                    throw new NetException("write", Lwip.ERR_CONN, Lwip.errno(Lwip.ERR_CONN), "not connected");
                }
                int k = Math.min(CHUNK, len - done);
                MemorySegment.copy(b, off + done, writeBuf, ValueLayout.JAVA_BYTE, 0, k);
                writeOut.set(ValueLayout.JAVA_LONG, 0, 0L);
                int err = Netconn.write(conn, writeBuf, k, writeOut);
                long w = writeOut.get(ValueLayout.JAVA_LONG, 0);
                if (err == Lwip.ERR_OK && w > 0) {
                    done += (int) w;
                    continue;
                }
                if (err != Lwip.ERR_OK && err != Lwip.ERR_WOULDBLOCK) {
                    checkFailed("write");
                    int e = err == Lwip.ERR_OK ? Lwip.ERR_CONN : err;
                    if (e == Lwip.ERR_RST) {
                        throw new NetException("write", e, 104, "Connection reset by peer");
                    }
                    throw NetException.of("write", e);
                }
                if (ev.failed()) {
                    checkFailed("write");
                    int pendingErr = Netconn.err(conn);
                    throw NetException.of("write", pendingErr != Lwip.ERR_OK ? pendingErr : Lwip.ERR_ABRT);
                }
            } finally {
                writeLock.unlock();
            }
            if (!isBlocking()) {
                return done;
            }
            ev.await(false);
        }
        return done;
    }

    /** Sends FIN after the queued data (the peer reads end of stream); reading goes on. */
    public void shutdownOutput() throws IOException {
        shutdown(false, true);
    }

    /** Stops reading: later reads return -1 (lwIP drops data that arrives after). */
    public void shutdownInput() throws IOException {
        shutdown(true, false);
    }

    private void shutdown(boolean rx, boolean tx) throws IOException {
        readLock.lock();
        writeLock.lock();
        try {
            ensureOpen();
            if (!connected) {
                throw new NetException("shutdown", Lwip.ERR_CONN, Lwip.errno(Lwip.ERR_CONN), "not connected");
            }
            boolean both = (rx || ev.eof()) && (tx || outputShut);
            if (both) {
                ev.localShutdownBoth(); // lwIP reports ERROR when the last half closes
            }
            int err = Netconn.shutdown(conn, rx, tx);
            if (err != Lwip.ERR_OK && err != Lwip.ERR_CONN && err != Lwip.ERR_CLSD) {
                throw NetException.of("shutdown", err);
            }
            outputShut |= tx;
            if (both) {
                ev.setHup();
            }
            if (rx) {
                pending = null;
                ev.setLeftover(0);
                ev.setEof();
            }
        } finally {
            writeLock.unlock();
            readLock.unlock();
        }
    }
}
