package org.jvpoll.net.lwip;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * The readiness of one netconn, kept from lwIP's own netconn events, and its vpoll fd kept equal
 * to it. The netconn callback (an FFM upcall, on the tcpip thread or on whichever thread holds
 * lwIP's core lock, or on a thread inside netconn_recv/netconn_accept for the *MINUS events) calls
 * {@link #onEvent}; it updates the counters below under this object's monitor, wakes blocked Java
 * callers and applies the new mask to the vpoll fd. Java threads never call lwIP while holding
 * this monitor (the upcall holds the core lock and then takes the monitor: the reverse order
 * would deadlock).
 *
 * <p>Mapping (as lwIP's own sockets.c event_callback, plus the terminal states):
 * <pre>
 * RCVPLUS(len)   rcvCount++ (a pbuf, a datagram, a pending connection, or the FIN marker);
 *                on a TCP stream len 0 is the FIN (or the error wake-up): RDHUP, IN stays
 * RCVMINUS       rcvCount--   (netconn_recv / netconn_accept took one)
 * SENDPLUS       OUT          SENDMINUS   OUT cleared
 * ERROR          ERR|HUP (+IN|OUT|RDHUP, as a reset kernel socket), in one vpoll add; after a
 *                local close or shutdown of both halves, lwIP reports ERROR too: then HUP only
 * IN             rcvCount &gt; 0, or bytes left over from a pbuf, or end of stream/error
 * </pre>
 */
public final class ConnEvents {
    /** What the netconn is, which decides what RCVPLUS with len 0 means. */
    public enum Kind { TCP, LISTENER, UDP }

    /** Netconns jvpoll-net owns, by the id kept in conn->socket (&gt; 0). */
    private static final Map<Integer, ConnEvents> REGISTRY = new ConcurrentHashMap<>();
    /** Netconns lwIP made for a listener, not accepted yet, by the id in conn->socket (stored negated, &lt; -1). */
    private static final Map<Integer, ConnEvents> PENDING = new ConcurrentHashMap<>();
    private static final AtomicInteger IDS = new AtomicInteger(1);
    private static final AtomicInteger PENDING_IDS = new AtomicInteger(2);
    private static final System.Logger LOG = System.getLogger("org.jvpoll.net");

    static {
        Netconn.install(ConnEvents::dispatch);
    }

    private final Kind kind;
    private volatile int id;
    private int rcvCount;
    private int leftover;
    private boolean sendReady;
    private boolean fin;
    private boolean eof;
    private boolean error;
    private boolean hup;
    private boolean localBoth;
    private boolean closed;
    private String failure;
    private VpollFd vfd;
    private int applied;
    private IOException applyFailure;

    public ConnEvents(Kind kind) {
        this.kind = kind;
    }

    /** Makes sure the callback is installed (class initialization). */
    public static void init() {
        // the static initializer did the work
    }

    /**
     * Registers this state for {@code conn} (a netconn just made, with no events yet) and makes
     * the netconn non-blocking, under the core lock.
     */
    public void bind(long conn) {
        int newId = IDS.getAndIncrement();
        Lwip.lockCore();
        try {
            Netconn.setNonBlockingLocked(conn);
            Netconn.setSocketField(conn, newId);
            id = newId;
            REGISTRY.put(newId, this);
        } finally {
            Lwip.unlockCore();
        }
    }

    /**
     * @return the state of a netconn netconn_accept just returned: the events it had before
     * (counted under a pending id, as lwIP's sockets.c counts them in conn->socket) carry over.
     * Also makes it non-blocking. All under the core lock, so no event falls between.
     */
    public static ConnEvents accepted(long conn) {
        int newId = IDS.getAndIncrement();
        Lwip.lockCore();
        try {
            Netconn.setNonBlockingLocked(conn);
            int s = Netconn.socketField(conn);
            ConnEvents ev = s < -1 ? PENDING.remove(-s) : null;
            if (ev == null) {
                ev = new ConnEvents(Kind.TCP);
            }
            Netconn.setSocketField(conn, newId);
            ev.id = newId;
            synchronized (ev) {
                ev.sendReady = true; // as lwIP's sockets.c: an accepted connection is writable
            }
            REGISTRY.put(newId, ev);
            return ev;
        } finally {
            Lwip.unlockCore();
        }
    }

    /** Forgets the netconn, after netconn_delete. */
    public void unbind() {
        int i = id;
        if (i != 0) {
            REGISTRY.remove(i, this);
        }
    }

    /** @return the number of netconns known to the event registry (a leak check for tests) */
    public static int registered() {
        return REGISTRY.size();
    }

    /**
     * The callback: runs on the tcpip thread or a thread holding the core lock (or, for RCVMINUS,
     * inside our own netconn_recv/accept), so conn->socket can be read and, for a netconn lwIP
     * made for a listener, stamped with a pending id.
     */
    private static void dispatch(long conn, int evt, int len) {
        int s = Netconn.socketField(conn);
        ConnEvents ev;
        if (s > 0) {
            ev = REGISTRY.get(s); // null: already deleted by us
        } else if (s == -1) {
            int p = PENDING_IDS.getAndIncrement();
            ev = new ConnEvents(Kind.TCP);
            PENDING.put(p, ev);
            Netconn.setSocketField(conn, -p);
        } else if (s < -1) {
            ev = PENDING.get(-s);
        } else {
            ev = null;
        }
        if (ev != null) {
            ev.onEvent(evt, len);
        }
    }

    synchronized void onEvent(int evt, int len) {
        if (closed) {
            return;
        }
        switch (evt) {
            case Netconn.EVT_RCVPLUS -> {
                rcvCount++;
                if (kind == Kind.TCP && len == 0) {
                    fin = true;
                }
            }
            case Netconn.EVT_RCVMINUS -> rcvCount--;
            case Netconn.EVT_SENDPLUS -> sendReady = true;
            case Netconn.EVT_SENDMINUS -> sendReady = false;
            case Netconn.EVT_ERROR -> {
                if (localBoth) {
                    hup = true;
                } else {
                    error = true;
                }
            }
            default -> { }
        }
        notifyAll();
        apply();
    }

    /** The Java side holds {@code bytes} of a pbuf not yet read. */
    public synchronized void setLeftover(int bytes) {
        leftover = bytes;
        apply();
    }

    /** The socket can always send (UDP). */
    public synchronized void onSendSpace() {
        sendReady = true;
        apply();
    }

    /** The reader saw the end of the stream (ERR_CLSD). */
    public synchronized void setEof() {
        eof = true;
        fin = true;
        notifyAll();
        apply();
    }

    /** Before netconn_shutdown of both halves or netconn_delete: lwIP's ERROR then means HUP. */
    public synchronized void localShutdownBoth() {
        localBoth = true;
    }

    /** Both halves are shut down locally (as a kernel socket after shutdown(SHUT_RDWR): HUP). */
    public synchronized void setHup() {
        hup = true;
        notifyAll();
        apply();
    }

    /** The connection failed outside lwIP (e.g. its stack was closed): ERR|HUP, and {@code why}. */
    public synchronized void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        error = true;
        notifyAll();
        apply();
    }

    /** @return the reason given to {@link #fail}, or null */
    public synchronized String failure() {
        return failure;
    }

    /** Stops event delivery: later events are ignored, waiters wake. */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Attaches the vpoll fd and brings it up to date. */
    public synchronized void attach(VpollFd fd) {
        this.vfd = fd;
        this.applied = 0;
        apply();
    }

    public synchronized boolean readable() {
        return rcvCount > 0 || leftover > 0 || fin || eof || error || hup;
    }

    public synchronized boolean writable() {
        return sendReady || error || hup;
    }

    public synchronized boolean failed() {
        return error;
    }

    public synchronized boolean eof() {
        return eof;
    }

    /** @return the first failure applying events to the vpoll fd, or null */
    public synchronized IOException applyFailure() {
        return applyFailure;
    }

    /** @return the mask the vpoll fd should have */
    public synchronized int desired() {
        int m = 0;
        if (rcvCount > 0 || leftover > 0) {
            m |= Events.IN;
        }
        if (sendReady) {
            m |= Events.OUT;
        }
        if (fin || eof) {
            m |= Events.IN | Events.RDHUP;
        }
        if (hup) {
            m |= Events.IN | Events.OUT | Events.RDHUP | Events.HUP;
        }
        if (error) {
            m |= Events.IN | Events.OUT | Events.RDHUP | Events.HUP | Events.ERR;
        }
        return m;
    }

    private void apply() {
        VpollFd v = vfd;
        if (v == null || closed) {
            return;
        }
        int want = desired();
        if ((applied & Events.HUP) != 0) {
            // HUP is terminal; ERR may only come with it (the emulation backend's rule)
            want = (want & ~Events.ERR) | (applied & Events.ERR) | Events.HUP | Events.RDHUP | Events.IN;
        }
        if (want == applied) {
            return;
        }
        int add = want & ~applied;
        int del = applied & ~want;
        try {
            if (del != 0) {
                v.delete(del);
            }
            if (add != 0) {
                v.add(add);
            }
            applied = want;
        } catch (IOException | RuntimeException e) {
            if (!v.isOpen()) {
                return; // the socket is being closed
            }
            if (applyFailure == null) {
                applyFailure = e instanceof IOException io ? io : new IOException(e);
                LOG.log(System.Logger.Level.WARNING, "jvpoll-net: vpoll fd " + v.fd() + " could not follow netconn events "
                        + Events.toString(applied) + " -> " + Events.toString(want), e);
            }
        }
    }

    /**
     * Waits at most 100 ms until {@code readable()} or {@code writable()} (as asked) or close.
     * Callers loop around their non-blocking lwIP call, so a missed wake-up costs 100 ms, never a hang.
     */
    public synchronized void await(boolean forRead) throws InterruptedIOException {
        if (closed || (forRead ? readable() : writable())) {
            return;
        }
        try {
            wait(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a user-level socket");
        }
    }

    @Override
    public synchronized String toString() {
        return kind + "[rcv=" + rcvCount + " left=" + leftover + " out=" + sendReady + " fin=" + fin
                + " err=" + error + " hup=" + hup + " vpoll=" + Events.toString(applied) + "]";
    }
}
