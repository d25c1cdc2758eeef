package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;

/**
 * One fd of the {@link TcpEmulationBackend TCP emulation}: drives A's socket (with B, the peer
 * jvpoll keeps) from one planned state to the next, and confirms with poll(2) that every waiter
 * sees the new mask before ctl returns.
 */
final class TcpPairFile extends VpollFile {
    private static final EmulationPlan.Tcp PLAN = EmulationPlan.TCP;

    static final long CONFIRM_TIMEOUT_NANOS = 2_000_000_000L;
    static final int LOWAT_NEVER = Integer.MAX_VALUE;
    private static final int SNDBUF_OPEN = 1 << 20;
    static final int SNDBUF_SHUT = 1; // the kernel raises it to SOCK_MIN_SNDBUF (4608)
    private static final int SNDBUF_FILL = 8 << 10; // doubled by the kernel: 16 KiB of filler
    private static final int SHUT_RD = 0;
    private static final int PEER_RCVBUF_DRAIN = 1 << 16;
    /** Filler goes out in pieces that fit B's small window, so none is dropped and retransmitted. */
    private static final int FILLER_SEGMENT = 1024;
    private static final int TIMESTAMP_FLAGS = Sockets.SOF_TIMESTAMPING_TX_SOFTWARE
            | Sockets.SOF_TIMESTAMPING_SOFTWARE | Sockets.SOF_TIMESTAMPING_OPT_TSONLY;

    private final int b;
    private final ReentrantLock lock = new ReentrantLock();
    /** The primary events set; always closed under {@link EmulationPlan#closure} restricted to PRIMARY. */
    private volatile int state;
    /** Timestamps raised into A's error queue since it was last drained (ERR re-signals keep it at most 2). */
    private int errQueued;
    /**
     * Whether A's receive queue surely holds the reservoir byte: true from creation (which
     * waits for it), false while a byte clearPri sent may still be in flight, true again once
     * a confirmed IN without PRI proves a byte is there.
     */
    private boolean reservoirLanded = true;

    TcpPairFile(int a, int b, int initialState) {
        super(a);
        this.b = b;
        this.state = initialState;
    }

    @Override
    public Backend backend() {
        return Backend.EMULATION_TCP;
    }

    @Override
    protected int doEvents(int fd) {
        return PLAN.closure(state);
    }

    @Override
    protected int doCtl(int fd, VpollOp op, int events) throws IOException {
        return apply(op, events, TcpScratch.get());
    }

    @Override
    protected void releaseDescriptors(int a) throws IOException {
        int errA = Unistd.closeQuietly(a);
        int errB = Unistd.closeQuietly(b);
        if (errA != 0 || errB != 0) {
            throw new VpollException("close(emulated vpoll fd " + a + ")", errA != 0 ? errA : errB,
                    "peer fd " + b);
        }
    }

    int apply(VpollOp op, int events, TcpScratch s) throws IOException {
        lock.lock();
        try {
            return moveTo(PLAN.plan(state, op, events), s);
        } finally {
            lock.unlock();
        }
    }

    /** Drives the sockets to the planned state {@code to}. @return its mask */
    int moveTo(int to, TcpScratch s) throws IOException {
        lock.lock();
        try {
            int from = state;
            try {
                transition(fd(), from, to, s);
            } catch (IOException | RuntimeException e) {
                // Leave the recorded state as the kernel now has it, so later calls stay exact.
                state = Poll.currentEvents(fd()) & PLAN.primary;
                throw e;
            }
            state = to;
            return PLAN.closure(to);
        } finally {
            lock.unlock();
        }
    }

    /** Drives the sockets from {@code from} to {@code to}, in an order every step allows. */
    private void transition(int a, int from, int to, TcpScratch s) throws IOException {
        int set = to & ~from;
        int clear = from & ~to;
        // A shutdown raises what it implies in one step (HUP: IN, RDHUP, OUT; RDHUP: IN).
        // Setting those separately first would let a concurrent waiter see the halfway state.
        if ((set & HUP) != 0) {
            set &= ~(IN | OUT | RDHUP);
        } else if ((set & RDHUP) != 0) {
            set &= ~IN;
        }
        // Which wake-ups this change made: TCP wakes with a key (IN|PRI, OUT), a shutdown or an
        // error report wakes every epoll waiter.
        boolean wokeRead = false;
        boolean wokeWrite = false;
        boolean wokeAll = false;
        if ((set & OUT) != 0) {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_OPEN, "SO_SNDBUF");
            wokeWrite = true;
        }
        if ((set & ERR) != 0) {
            raiseErr(a, s);
            errQueued = 1;
            wokeAll = true;
        }
        if ((clear & ERR) != 0) {
            drainErrorQueue(a, s);
            errQueued = 0;
        }
        if ((set & (IN | PRI)) == (IN | PRI)) {
            // Both at once: with SO_RCVLOWAT 2, A turns readable exactly when the urgent byte
            // arrives (the queue then holds two bytes ahead of any old urgent mark), so IN and
            // PRI appear in one step. Lowering it to 1 afterwards changes nothing visible.
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 2, "SO_RCVLOWAT");
            s.data.set(JAVA_BYTE, 0, (byte) 'p');
            EmulationSockets.sendAll(b, s.data, 1, Sockets.MSG_OOB, "send(MSG_OOB)");
            awaitEvent(a, PRI);
            set &= ~PRI; // IN is completed below by SO_RCVLOWAT 1
            wokeRead = true;
        }
        if ((set & PRI) != 0) {
            s.data.set(JAVA_BYTE, 0, (byte) 'p');
            EmulationSockets.sendAll(b, s.data, 1, Sockets.MSG_OOB, "send(MSG_OOB)");
            wokeRead = true;
        }
        if ((clear & PRI) != 0) {
            clearPri(a, (to & RDHUP) != 0, s);
        }
        if ((set & IN) != 0) {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 1, "SO_RCVLOWAT");
            wokeRead = true;
        }
        if ((clear & IN) != 0) {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, LOWAT_NEVER, "SO_RCVLOWAT");
        }
        if ((clear & OUT) != 0) {
            clearOut(a, s);
        }
        if ((set & RDHUP) != 0) {
            Sockets.shutdown(b, Sockets.SHUT_WR);
            wokeAll = true;
        }
        if ((set & HUP) != 0) {
            Sockets.shutdown(a, Sockets.SHUT_RDWR);
            wokeAll = true;
        }
        if (!wokeAll) {
            resignal(a, to, wokeRead, wokeWrite, s);
        }
        if (((from ^ to) & ~IN) == 0 && ((from | to) & ~(IN | OUT)) == 0 && reservoirLanded) {
            // Only socket options moved (SO_RCVLOWAT for IN; a re-signal of OUT sets SO_SNDBUF
            // again), over a reservoir byte known to be in A's queue: tcp_poll() reads them
            // synchronously, so the new mask is already what every waiter sees and poll(2) would
            // only repeat it (half the cost of an IN change).
            return;
        }
        confirm(a, PLAN.closure(to), s);
        if ((to & (IN | PRI)) == IN) {
            reservoirLanded = true; // readable at SO_RCVLOWAT 1 with no urgent byte: a byte is there
        }
    }

    /**
     * The module wakes waiters on every ctl, with the new mask as key, so an edge-triggered
     * waiter gets a new edge even when nothing changed. TCP re-signals what is ready when
     * these options are set again (keys IN|PRI and OUT); a repeated shutdown of a half
     * already shut, and one more timestamp in an error queue that is not empty, wake every
     * epoll waiter. PRI alone, and ERR while OUT is clear, have no such signal.
     */
    private void resignal(int a, int to, boolean wokeRead, boolean wokeWrite, TcpScratch s) throws VpollException {
        if ((to & RDHUP) != 0) {
            try {
                Sockets.shutdown(a, SHUT_RD); // A's receive half is already shut (peer FIN, or HUP)
            } catch (VpollException e) {
                if (e.errno() != Errno.ENOTCONN) {
                    throw e;
                }
            }
            return;
        }
        if ((to & (ERR | OUT)) == (ERR | OUT)) {
            // Drop the oldest of two queued timestamps first: the queue never empties, ERR stays.
            if (errQueued >= 2) {
                Sockets.msghdr(s.msghdr, s.iov, s.data.asSlice(0, 64), s.control);
                if (Sockets.recvmsg(a, s.msghdr, Sockets.MSG_ERRQUEUE | Sockets.MSG_DONTWAIT, "recvmsg(MSG_ERRQUEUE)") >= 0) {
                    errQueued--;
                }
            }
            raiseErr(a, s); // sk_error_report: key ERR, which every epoll registration has
            errQueued++;
            return;
        }
        if ((to & IN) != 0 && !wokeRead) {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 1, "SO_RCVLOWAT");
        }
        if ((to & OUT) != 0 && !wokeWrite) {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_OPEN, "SO_SNDBUF");
        }
    }

    private void raiseErr(int a, TcpScratch s) throws VpollException {
        // The timestamped byte must leave A at once: first let B take everything A queued.
        drainPeer(a, s);
        s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_TIMESTAMPING, TIMESTAMP_FLAGS, "SO_TIMESTAMPING");
        try {
            s.data.set(JAVA_BYTE, 0, (byte) 'e');
            EmulationSockets.sendAll(a, s.data, 1, 0, "send(timestamped byte)");
        } finally {
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_TIMESTAMPING, 0, "SO_TIMESTAMPING");
        }
    }

    private void drainErrorQueue(int a, TcpScratch s) throws VpollException {
        for (;;) {
            Sockets.msghdr(s.msghdr, s.iov, s.data.asSlice(0, 64), s.control);
            long n = Sockets.recvmsg(a, s.msghdr, Sockets.MSG_ERRQUEUE | Sockets.MSG_DONTWAIT, "recvmsg(MSG_ERRQUEUE)");
            if (n < 0) {
                return;
            }
        }
    }

    /** B reads everything A sent, until A has nothing unacknowledged and B nothing unread. */
    private void drainPeer(int a, TcpScratch s) throws VpollException {
        long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
        // B's tiny buffer (which closes its window for clearOut) leaves less free space than
        // a segment, so B would never reopen its window and A would only get the filler out
        // on backed-off retransmissions (3 s). Open it for the drain, close it again after.
        s.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, PEER_RCVBUF_DRAIN, "SO_RCVBUF");
        for (;;) {
            while (Sockets.recv(b, s.data, TcpScratch.DATA_BYTES, Sockets.MSG_DONTWAIT, "recv(peer)") > 0) {
                // discard
            }
            // Filler acknowledged after B's last recv still fills B's tiny window: the
            // timestamped byte would then wait in A's queue and ERR never appear.
            if (s.outq(a) == 0 && s.inq(b) == 0) {
                s.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 1, "SO_RCVBUF");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new VpollException("emulation", 0, "the peer could not drain A's send queue within 2 s ("
                        + s.outq(a) + " bytes unacknowledged, " + s.inq(b) + " unread)");
            }
            Poll.pollOne(b, Events.IN, 1);
        }
    }

    private void clearPri(int a, boolean peerShut, TcpScratch s) throws VpollException {
        long n = Sockets.recv(a, s.data, 1, Sockets.MSG_OOB | Sockets.MSG_DONTWAIT, "recv(MSG_OOB)");
        if (n != 1) {
            throw new VpollException("recv(MSG_OOB)", n < 0 ? (int) -n : 0, "the urgent byte was not there");
        }
        if (peerShut) {
            return; // RDHUP keeps A readable anyway, and B can send no more
        }
        // Keep IN exact: a fresh reservoir byte goes behind the urgent mark, then A reads the
        // bytes before the mark (recv stops there), leaving [urgent byte, fresh byte].
        reservoirLanded = false; // until a confirmed IN shows it arrived
        s.data.set(JAVA_BYTE, 0, (byte) 'r');
        EmulationSockets.sendAll(b, s.data, 1, 0, "send(reservoir)");
        Sockets.recv(a, s.data, 64, Sockets.MSG_DONTWAIT, "recv(compact)");
    }

    private void clearOut(int a, TcpScratch s) throws VpollException {
        // Queue several times what A's smallest send buffer holds, then shrink the buffer: A
        // stays unwritable until most of that queue is gone, and B, which never reads, can
        // only take a few KiB more over time (retransmissions landing as its tiny queue
        // collapses). Filling only to the small buffer let that trickle make A writable again
        // long after the ctl returned.
        s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_FILL, "SO_SNDBUF");
        // Top up even if filler is already stuck: B may have taken some of it since.
        s.data.fill((byte) 'f');
        while (Sockets.send(a, s.data, FILLER_SEGMENT, Sockets.MSG_DONTWAIT, "send(filler)") > 0) {
            // until A's send queue is full and B's window closed
        }
        s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_SHUT, "SO_SNDBUF");
    }

    /** Waits until poll(2) on A reports {@code event}. */
    private static void awaitEvent(int a, int event) throws VpollException {
        long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
        while ((Poll.pollOne(a, event, 1) & event) == 0) {
            if (System.nanoTime() > deadline) {
                throw new VpollException("emulation", 0, Events.toString(event) + " did not appear within 2 s");
            }
        }
    }

    /**
     * Waits until poll(2) on A reports exactly {@code mask}. While OUT should be clear but
     * shows, the filler is topped up again: B may still be taking data through the window it
     * advertised while its buffer was open for a drain, and A turns writable once that happens.
     */
    private void confirm(int a, int mask, TcpScratch s) throws VpollException {
        int seen = Poll.currentEvents(a);
        if (seen == mask) {
            return;
        }
        long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            if ((mask & OUT) == 0 && (seen & OUT) != 0) {
                clearOut(a, s);
            }
            Poll.pollOne(a, mask & ~seen, 1);
            seen = Poll.currentEvents(a);
            if (seen == mask) {
                return;
            }
        }
        throw new VpollException("emulation", 0, "the socket reports " + Events.toString(seen)
                + " instead of " + Events.toString(mask) + " after 2 s");
    }
}
