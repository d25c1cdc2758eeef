package org.jvpoll.net;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.VpollFd;
import org.jvpoll.net.lwip.ConnEvents;
import org.jvpoll.net.lwip.IpAddr;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.Netconn;

/**
 * A socket of a {@link NetStack}: an lwIP netconn with a {@link VpollFd} that always shows the
 * netconn's readiness — IN (data, a pending connection, end of stream), OUT (send space), RDHUP
 * (the peer's FIN), HUP (both directions closed), ERR|HUP (reset, refused, stack closed) — driven
 * by lwIP's own connection events. Wait on {@link #vpollFd()} with poll/epoll/select, in another
 * process, or register {@link #channel()} with a JDK {@link java.nio.channels.Selector}.
 *
 * <p>Sockets start blocking; {@link #configureBlocking(boolean) configureBlocking(false)} makes
 * operations return at once (0, null or false) when they would wait. Blocking operations wait in
 * Java for the events, never inside lwIP. Reads and writes may run concurrently on two threads;
 * {@link #close()} may be called from any thread and wakes blocked callers.
 */
public abstract sealed class NetSocket implements AutoCloseable permits TcpSocket, TcpListener, UdpSocket {
    final NetStack stack;
    final ConnEvents ev;
    final VpollFd vfd;
    final ReentrantLock readLock = new ReentrantLock();
    final ReentrantLock writeLock = new ReentrantLock();
    final Arena arena = Arena.ofShared();
    final MemorySegment readOut = arena.allocate(8, 8);
    final MemorySegment readAddr = arena.allocate(IpAddr.SIZE, 8);
    final MemorySegment writeAddr = arena.allocate(IpAddr.SIZE, 8);
    final MemorySegment writeOut = arena.allocate(8, 8);
    volatile long conn;
    private volatile boolean blocking = true;
    private volatile boolean closed;
    private final Object closeLock = new Object();

    NetSocket(NetStack stack, ConnEvents ev) throws IOException {
        this.stack = stack;
        this.ev = ev;
        VpollFd v;
        try {
            v = VpollFd.create(0, stack.config().vpollOptions());
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        this.vfd = v;
    }

    /** @return the vpoll fd whose events follow this socket (owned by the socket: closed with it) */
    public VpollFd vpollFd() {
        return vfd;
    }

    /**
     * @return {@code vpollFd().channel()}: a selectable channel for a JDK Selector (configure it
     * non-blocking before registering). OP_READ is IN, OP_WRITE is OUT, ERR/HUP select every op.
     */
    public SelectableChannel channel() throws IOException {
        return vfd.channel();
    }

    /** @return the socket's current events as its vpoll fd reports them ({@link org.jvpoll.Events}) */
    public int events() throws IOException {
        return vfd.events();
    }

    /** Sets blocking (the default) or non-blocking mode. @return this socket */
    public NetSocket configureBlocking(boolean block) {
        this.blocking = block;
        return this;
    }

    /** @return whether operations wait */
    public boolean isBlocking() {
        return blocking;
    }

    /** @return false once closed */
    public boolean isOpen() {
        return !closed;
    }

    /** @return the stack this socket belongs to */
    public NetStack stack() {
        return stack;
    }

    /** @return the local address, or null before bind/connect */
    public InetSocketAddress localAddress() throws IOException {
        return address(true);
    }

    InetSocketAddress address(boolean local) throws IOException {
        readLock.lock();
        try {
            ensureOpen();
            long c = conn;
            if (c == 0) {
                return null;
            }
            MemorySegment port = readOut;
            int err = Netconn.getAddr(c, readAddr, port, local);
            if (err != Lwip.ERR_OK) {
                return null;
            }
            return new InetSocketAddress(IpAddr.read(readAddr), Short.toUnsignedInt(port.get(ValueLayout.JAVA_SHORT, 0)));
        } finally {
            readLock.unlock();
        }
    }

    void ensureOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        String why = ev.failure();
        if (why != null) {
            throw new NetException(why, 0, 0, "the socket is unusable");
        }
    }

    /** Throws if the connection failed: lwIP's pending error, or the stack's failure. */
    void checkFailed(String op) throws IOException {
        String why = ev.failure();
        if (why != null) {
            throw new NetException(op, 0, 0, why);
        }
    }

    /**
     * Closes the socket: its netconn (a TCP connection sends FIN after the queued data; lwIP keeps
     * sending it in the background), then its vpoll fd. Idempotent; wakes blocked callers.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ev.localShutdownBoth();
        ev.close();
        readLock.lock();
        writeLock.lock();
        try {
            release();
            vfd.close();
            arena.close();
        } finally {
            writeLock.unlock();
            readLock.unlock();
            stack.forget(this);
        }
    }

    /** Deletes the netconn, if any (callers hold both locks or are the stack closing). */
    void release() {
        long c = conn;
        if (c != 0) {
            conn = 0;
            int err = Netconn.delete(c);
            if (err != Lwip.ERR_OK) {
                System.getLogger("org.jvpoll.net").log(System.Logger.Level.WARNING,
                        "jvpoll-net: netconn_delete failed: " + Lwip.name(err));
            }
            ev.unbind();
        }
    }

    /** The stack is closing under this socket: ERR|HUP, later calls throw, the netconn is freed. */
    void abortByStack(String why) {
        ev.fail(why);
        readLock.lock();
        writeLock.lock();
        try {
            if (!closed) {
                ev.localShutdownBoth();
                release();
            }
        } finally {
            writeLock.unlock();
            readLock.unlock();
        }
    }

    /** Makes the netconn and binds it to this stack's interface. */
    long newConn(int type) throws IOException {
        long c = Netconn.create(type);
        if (c == 0) {
            throw new NetException("netconn_new", Lwip.ERR_MEM, Lwip.errno(Lwip.ERR_MEM), "out of memory");
        }
        ev.bind(c); // non-blocking, and its events now reach ev
        conn = c;
        int err = Netconn.bindIf(c, stack.ifIndex());
        if (err != Lwip.ERR_OK) {
            throw NetException.of("bind to interface " + stack.interfaceName(), err);
        }
        return c;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + (closed ? "closed" : ev.toString()) + ", vpoll fd " + vfd.fd() + "]";
    }
}
