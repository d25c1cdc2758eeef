package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.RDHUP;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;

/**
 * One fd of the {@link UnixEmulationBackend socket-pair emulation}: A is the fd, B the peer jvpoll
 * keeps. Drives the pair from one planned state to the next (the table in
 * {@link UnixEmulationBackend} says how each event is made), one system call per step; and plans
 * io_uring batches of IN changes for {@link BatchEngine}.
 */
final class SocketPairFile extends VpollFile {
    private static final EmulationPlan.SocketPair PLAN = EmulationPlan.SOCKET_PAIR;
    private static final int PEER_GONE = EmulationPlan.SocketPair.PEER_GONE;
    private static final int TERMINAL = HUP | RDHUP;
    /** Re-signals of IN queue one more byte each; beyond this many, one is read back first. */
    private static final int MAX_IN_BYTES = 16;
    private static final int SHUT_RD = 0;

    private final ReentrantLock lock = new ReentrantLock();
    /** B, or -1 once closed to raise ERR. Guarded by {@link #lock} (and by close, which runs once). */
    private int b;
    /** The primary events and {@link EmulationPlan.SocketPair#PEER_GONE}; written under {@link #lock}. */
    private volatile int state;
    /** Bytes B sent that A has not read (IN is set iff this is non-zero, unless RDHUP/HUP force it). */
    private int inBytes;
    /** Whether the filler sits unread in B's queue (sent once, the first time OUT is cleared). */
    private boolean filler;

    SocketPairFile(int a, int b, int initialState) {
        super(a);
        this.b = b;
        this.state = initialState;
    }

    /** Drives a new pair from its starting state to the planned {@code to}, before anyone else sees it. */
    void start(int a, int to) throws IOException {
        transition(a, state, to);
        state = to;
    }

    @Override
    public Backend backend() {
        return Backend.EMULATION;
    }

    @Override
    protected int doEvents(int fd) {
        return PLAN.closure(state);
    }

    @Override
    protected int doCtl(int fd, VpollOp op, int events) throws IOException {
        lock.lock();
        try {
            int from = state;
            int to = PLAN.plan(from, op, events);
            try {
                transition(fd, from, to);
            } catch (IOException | RuntimeException e) {
                // Record what the kernel now reports, so later calls stay exact.
                state = (Poll.currentEvents(fd) & PLAN.primary) | (b < 0 ? PEER_GONE : 0);
                throw e;
            }
            state = to;
            return PLAN.closure(to);
        } finally {
            lock.unlock();
        }
    }

    // ---- Batches (VpollBatch through io_uring): IN and OUT raised, re-signalled and cleared ----

    /** Receives the socket operations a batched change plans, in order. */
    interface SocketOps {
        /** A send of {@code len} bytes from {@code fd} out of {@link #bytes()}. */
        int SEND = 0;
        /** A recv of {@code len} bytes on {@code fd} into {@link #bytes()}. */
        int RECV = 1;
        /** setsockopt(fd, SO_SNDBUF, {@link #sndbufOpen()}): OUT raised or re-signalled. */
        int SNDBUF_OPEN = 2;
        /** setsockopt(fd, SO_SNDBUF, {@link #sndbufShut()}): OUT cleared (the filler is already queued). */
        int SNDBUF_SHUT = 3;

        void op(int kind, int fd, int len, int change);
    }

    /** The SO_SNDBUF value that raises OUT, as batched setsockopt SQEs point at it. */
    static MemorySegment sndbufOpen() {
        return SocketPairBuffers.SNDBUF_OPEN;
    }

    /** The SO_SNDBUF value that clears OUT once the filler is queued. */
    static MemorySegment sndbufShut() {
        return SocketPairBuffers.SNDBUF_SHUT;
    }

    /** The shared discard/filler buffer batched sends and recvs point at. */
    static MemorySegment bytes() {
        return SocketPairBuffers.BYTES;
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    /**
     * Dry run, under {@link #lock()}: whether every change of the group keeps this fd within
     * the states {@code allowed} (IN, or IN and OUT), so its system calls are only B's IN-byte
     * sends, A's recvs and, with OUT, A's SO_SNDBUF setsockopts (what io_uring's SEND, RECV and
     * URING_CMD can carry). A change that clears OUT before the one-time filler is queued is
     * not (it stays with ctl, which queues it). Refused changes change nothing and count as
     * such. Changes nothing.
     */
    boolean ringable(VpollOp[] ops, int[] events, int[] changes, int from, int to, int allowed) {
        int s = state;
        if ((s & ~allowed) != 0) {
            return false;
        }
        for (int k = from; k < to; k++) {
            int j = changes[k];
            try {
                int next = PLAN.plan(s, ops[j], events[j]);
                if ((next & ~allowed) != 0 || ((s & ~next & OUT) != 0 && !filler)) {
                    return false;
                }
                s = next;
            } catch (UnsupportedEventsException e) {
                // refused: the state stays, as in ctl
            }
        }
        return true;
    }

    /**
     * Plans a {@link #ringable} group under {@link #lock()} exactly as {@link #doCtl} would
     * change it ({@link #transition}'s steps in its order), updating the recorded state and
     * byte count as if every operation succeeds, and hands the system calls to {@code sink}
     * instead of making them: at most three per change (OUT's setsockopt, a recv of one byte
     * when {@value #MAX_IN_BYTES} are queued, then B's send). Refusals land in {@code errors}
     * before any system call, as in ctl.
     */
    void planRing(int a, VpollOp[] ops, int[] events, int[] changes, int from, int to, int[] masks,
            Exception[] errors, SocketOps sink) {
        for (int k = from; k < to; k++) {
            int j = changes[k];
            int was = state;
            int next;
            try {
                next = PLAN.plan(was, ops[j], events[j]);
            } catch (UnsupportedEventsException e) {
                errors[j] = e;
                continue;
            }
            if ((next & ~was & OUT) != 0) { // raised
                sink.op(SocketOps.SNDBUF_OPEN, a, 4, j);
            } else if ((was & ~next & OUT) != 0) { // cleared; ringable() saw the filler queued
                sink.op(SocketOps.SNDBUF_SHUT, a, 4, j);
            }
            if ((next & IN) != 0) { // raised, or re-signalled while it stays: one more byte from B
                if (inBytes >= MAX_IN_BYTES) {
                    sink.op(SocketOps.RECV, a, 1, j);
                    inBytes--;
                }
                sink.op(SocketOps.SEND, b, 1, j);
                inBytes++;
            } else if ((was & IN) != 0 && inBytes > 0) {
                sink.op(SocketOps.RECV, a, inBytes, j);
                inBytes = 0;
            }
            if ((next & was & OUT) != 0) { // re-signalled while it stays, as resignal() does
                sink.op(SocketOps.SNDBUF_OPEN, a, 4, j);
            }
            state = next;
            masks[j] = PLAN.closure(next);
        }
    }

    /**
     * After a batched operation failed: records what the kernel now reports (poll(2) for the
     * events, SIOCINQ for the bytes queued on A), as {@link #doCtl} does on failure, so later
     * calls stay exact. Under {@link #lock()}.
     */
    void resync(int a) throws VpollException {
        state = (Poll.currentEvents(a) & PLAN.primary) | (b < 0 ? PEER_GONE : 0);
        try (Arena arena = Arena.ofConfined()) {
            inBytes = org.jvpoll.syscall.Ioctl.ioctlInt(a, org.jvpoll.syscall.Ioctl.SIOCINQ,
                    arena.allocate(JAVA_INT), "ioctl(SIOCINQ)");
        }
    }

    /** Test hook: the bytes B sent that A has not read, as recorded. */
    int inBytes() {
        return inBytes;
    }

    @Override
    protected void releaseDescriptors(int a) throws IOException {
        int errA = Unistd.closeQuietly(a);
        int errB = b >= 0 ? Unistd.closeQuietly(b) : 0;
        if (errA != 0 || errB != 0) {
            throw new VpollException("close(emulated vpoll fd " + a + ")", errA != 0 ? errA : errB, "peer fd " + b);
        }
    }

    /**
     * Drives the pair from {@code from} to {@code to}. Each step is one system call whose
     * effect unix_poll() sees at once; each wakes the waiters it concerns (IN: data ready,
     * OUT: write space, shutdowns and the reset: everyone), so every change wakes, as the
     * kernel module's ctl does.
     */
    void transition(int a, int from, int to) throws IOException {
        int set = to & ~from;
        int clear = from & ~to;
        boolean wokeRead = false;
        boolean wokeWrite = false;
        boolean wokeAll = false;
        if ((set & OUT) != 0) {
            setSndbuf(a, SocketPairBuffers.SNDBUF_OPEN);
            wokeWrite = true;
        }
        if ((clear & OUT) != 0) {
            if (!filler) {
                EmulationSockets.sendAll(a, SocketPairBuffers.BYTES, SocketPairBuffers.FILLER, 0, "send(filler)");
                filler = true;
            }
            setSndbuf(a, SocketPairBuffers.SNDBUF_SHUT);
        }
        if ((set & IN) != 0 && (to & TERMINAL) == 0) {
            sendIn(a);
            wokeRead = true;
        }
        if ((clear & IN) != 0) {
            drainIn(a);
        }
        if ((set & PEER_GONE) != 0) {
            // The reset: B closes with unread data (the filler, or a byte sent now), so A gets
            // ECONNRESET and both halves shut. A stays readable and writable for good.
            if (!filler) {
                EmulationSockets.sendAll(a, SocketPairBuffers.BYTES, 1, 0, "send(reset byte)");
                filler = true;
            }
            int peer = b;
            b = -1;
            int err = Unistd.closeQuietly(peer);
            if (err != 0) {
                throw new VpollException("close(emulation peer " + peer + ")", err, "raising ERR|HUP");
            }
            wokeAll = true;
        } else {
            if ((set & RDHUP) != 0 && (set & HUP) == 0) {
                Sockets.shutdown(b, Sockets.SHUT_WR);
                wokeAll = true;
            }
            if ((set & HUP) != 0) {
                Sockets.shutdown(a, Sockets.SHUT_RDWR);
                wokeAll = true;
            }
        }
        if ((clear & ERR) != 0) {
            // SO_ERROR reads and clears sk_err; HUP and what it forces stay.
            try (Arena arena = Arena.ofConfined()) {
                Sockets.getInt(a, Sockets.SOL_SOCKET, Sockets.SO_ERROR, arena.allocate(8), "SO_ERROR");
            }
        }
        if (!wokeAll) {
            resignal(a, to, wokeRead, wokeWrite);
        }
    }

    /** Wakes waiters of the events that stay set, as the module does on every ctl. */
    private void resignal(int a, int to, boolean wokeRead, boolean wokeWrite) throws VpollException {
        if ((to & (HUP | PEER_GONE)) != 0) {
            shutdownAgain(a, Sockets.SHUT_RDWR); // wakes every waiter again
            return;
        }
        if ((to & RDHUP) != 0) {
            shutdownAgain(a, SHUT_RD); // A's receive half is already shut by B's SHUT_WR
            return;
        }
        if ((to & IN) != 0 && !wokeRead) {
            sendIn(a);
        }
        if ((to & OUT) != 0 && !wokeWrite) {
            setSndbuf(a, SocketPairBuffers.SNDBUF_OPEN);
        }
    }

    private static void shutdownAgain(int fd, int how) throws VpollException {
        try {
            Sockets.shutdown(fd, how);
        } catch (VpollException e) {
            if (e.errno() != Errno.ENOTCONN) {
                throw e;
            }
        }
    }

    /** B sends one more byte: A turns (or stays) readable and its IN waiters wake. */
    private void sendIn(int a) throws VpollException {
        if (inBytes >= MAX_IN_BYTES) {
            // Keep the queue short without ever emptying it: read one byte back first.
            Sockets.recv(a, SocketPairBuffers.BYTES, 1, Sockets.MSG_DONTWAIT, "recv(IN byte)");
            inBytes--;
        }
        EmulationSockets.sendAll(b, SocketPairBuffers.BYTES, 1, 0, "send(IN byte)");
        inBytes++;
    }

    /** A reads every byte B sent: its receive queue is empty, IN clears. */
    private void drainIn(int a) throws VpollException {
        while (inBytes > 0) {
            long n = Sockets.recv(a, SocketPairBuffers.BYTES, inBytes, Sockets.MSG_DONTWAIT, "recv(IN bytes)");
            if (n <= 0) {
                throw new VpollException("recv(IN bytes)", n < 0 ? (int) -n : 0,
                        inBytes + " bytes B sent are missing from A's queue: something else read the vpoll fd");
            }
            inBytes -= (int) n;
        }
    }

    private static void setSndbuf(int a, MemorySegment value) throws VpollException {
        Sockets.setsockopt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, value, "SO_SNDBUF");
    }
}
