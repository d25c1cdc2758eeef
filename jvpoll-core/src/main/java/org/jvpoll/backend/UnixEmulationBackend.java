package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.RDHUP;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRBAND;
import static org.jvpoll.Events.WRNORM;

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
import org.jvpoll.syscall.UnixSockets;

/**
 * The default emulation on a stock kernel: the vpoll fd is one end ("A") of an AF_UNIX stream
 * socket pair; jvpoll keeps the other end ("B"). unix_poll() reports A's state synchronously, so
 * every change is one system call, no timer or softirq ever runs for an idle fd, and no
 * host-wide resource (ports, TCP memory) is used:
 *
 * <table>
 * <caption>How each event is produced on A</caption>
 * <tr><th>event</th><th>set</th><th>clear</th></tr>
 * <tr><td>IN (+RDNORM)</td><td>B sends one byte (A's receive queue is not empty)</td>
 *     <td>A reads what B sent</td></tr>
 * <tr><td>OUT (+WRNORM, WRBAND)</td><td>SO_SNDBUF raised above the filler</td>
 *     <td>SO_SNDBUF at its minimum (4608), below the 1 KiB filler A sent once and B never reads:
 *     unix_writable() needs 4 x the unread bytes' memory to fit in SO_SNDBUF</td></tr>
 * <tr><td>RDHUP (+IN)</td><td>B shuts down its writing half</td><td>terminal</td></tr>
 * <tr><td>HUP (+RDHUP, IN)</td><td>A shuts down both halves (OUT stays as it was)</td><td>terminal</td></tr>
 * <tr><td>ERR (only with HUP: +RDHUP, IN, OUT)</td><td>B closes while it holds unread data: A gets
 *     ECONNRESET, like a TCP reset</td><td>A reads SO_ERROR (HUP stays)</td></tr>
 * </table>
 *
 * <p>PRI (AF_UNIX urgent data always comes with IN), ERR on its own, and the bits nothing here
 * produces (NVAL, RDBAND, MSG, ...) are refused with {@link UnsupportedEventsException}: the
 * {@link Backend#EMULATION_TCP TCP emulation} produces PRI and a reversible ERR, at the price of
 * a loopback TCP connection per fd.
 */
final class UnixEmulationBackend implements VpollBackend {

    /** Internal state bit: B is closed (after ERR), which forces HUP, RDHUP, IN and OUT for good. */
    static final int PEER_GONE = 1 << 30;
    /** Events with their own mechanism. */
    static final int PRIMARY = IN | OUT | RDHUP | HUP | ERR;
    /** Bits unix_poll() reports only together with a primary one: RDNORM with IN, WRNORM and WRBAND with OUT. */
    static final int COMPANIONS = RDNORM | WRNORM | WRBAND;
    static final int SUPPORTED = PRIMARY | COMPANIONS;
    /** What an fd of this mechanism can carry on its own, for automatic backend choice (ERR needs HUP). */
    static final int CARRIES = SUPPORTED & ~ERR;
    /** Events that cannot be cleared once set. */
    static final int TERMINAL = HUP | RDHUP;

    private static final int SNDBUF_OPEN = 64 << 10; // doubled by the kernel; far above the filler
    private static final int SNDBUF_SHUT = 1; // raised by the kernel to SOCK_MIN_SNDBUF (4608)
    /** One unread send of this size makes A unwritable at the minimum SO_SNDBUF (4 x ~1.7 KiB > 4608). */
    private static final int FILLER = 1024;
    /** Re-signals of IN queue one more byte each; beyond this many, one is read back first. */
    private static final int MAX_IN_BYTES = 16;
    private static final int SHUT_RD = 0;

    /** Filler and discard buffer: only ever sent from or received into, so threads may share it. */
    private static final MemorySegment BYTES = Arena.global().allocate(FILLER);
    /** The two SO_SNDBUF values, as setsockopt reads them (never written after this, so shared). */
    private static final MemorySegment SNDBUF_OPEN_VALUE = Arena.global().allocate(JAVA_INT);
    private static final MemorySegment SNDBUF_SHUT_VALUE = Arena.global().allocate(JAVA_INT);

    static {
        BYTES.fill((byte) 'f');
        SNDBUF_OPEN_VALUE.set(JAVA_INT, 0, SNDBUF_OPEN);
        SNDBUF_SHUT_VALUE.set(JAVA_INT, 0, SNDBUF_SHUT);
    }

    /** @return every bit unix_poll() reports for the state {@code s} (primaries and {@link #PEER_GONE}) */
    static int closure(int s) {
        int m = s;
        if ((m & PEER_GONE) != 0) {
            m |= HUP | RDHUP | IN | OUT;
        }
        if ((m & HUP) != 0) {
            m |= RDHUP | IN;
        }
        if ((m & RDHUP) != 0) {
            m |= IN;
        }
        if ((m & IN) != 0) {
            m |= RDNORM;
        }
        if ((m & OUT) != 0) {
            m |= WRNORM | WRBAND;
        }
        return m & ~PEER_GONE;
    }

    @Override
    public Backend type() {
        return Backend.EMULATION;
    }

    @Override
    public Availability availability() {
        return Availability.YES;
    }

    @Override
    public int supportedEvents() {
        return SUPPORTED;
    }

    @Override
    public int carriedEvents() {
        return CARRIES;
    }

    /** Where socketpair(2) writes the two descriptors, one per thread, so creation allocates nothing native. */
    private static final ThreadLocal<MemorySegment> PAIR = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8));

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        // Refuse before any system call. The initial events are planned from nothing, as the caller
        // sees it; that a fresh pair starts writable is the mechanism's business.
        int to = plan(Backend.EMULATION, 0, VpollOp.SET, initialEvents);
        MemorySegment pair = PAIR.get();
        // B must never leak into an exec'd child; A follows the caller's flags. Both get them from
        // socketpair, so only a caller asking for A without close-on-exec costs an extra fcntl.
        try {
            UnixSockets.socketpair(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC | (nonBlocking ? Sockets.SOCK_NONBLOCK : 0), pair);
        } catch (VpollException e) {
            if (e.errno() == Errno.EMFILE || e.errno() == Errno.ENFILE) {
                throw new VpollException("socketpair(AF_UNIX, SOCK_STREAM)", e.errno(),
                        "the emulation holds 2 descriptors per vpoll fd (the fd and its peer); raise RLIMIT_NOFILE "
                                + "(ulimit -n) or close vpoll fds");
            }
            throw e;
        }
        int a = pair.getAtIndex(JAVA_INT, 0);
        int b = pair.getAtIndex(JAVA_INT, 1);
        try {
            if (!closeOnExec) {
                Unistd.fcntl(a, Unistd.F_SETFD, 0);
            }
            // A connected socket pair starts writable: state {OUT}.
            PairFile file = new PairFile(a, b, OUT);
            file.transition(a, OUT, to);
            file.state = to;
            return file;
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(b);
            Unistd.closeQuietly(a);
            throw e;
        }
    }

    /**
     * Validates a request against the state {@code from} and returns the new state, changing
     * nothing.
     */
    static int plan(Backend backend, int from, VpollOp op, int events) {
        int fromMask = closure(from);
        int to;
        switch (op) {
            case ADD, SET -> {
                int unsupported = events & ~SUPPORTED;
                if (unsupported != 0) {
                    throw new UnsupportedEventsException(backend, unsupported,
                            "produce these events over an AF_UNIX socket pair (it produces IN, OUT, RDHUP, HUP, ERR "
                                    + "together with HUP, and their companions RDNORM, WRNORM, WRBAND); for PRI or an "
                                    + "ERR of its own use Backend.EMULATION_TCP, or name them in "
                                    + "VpollFd.Options.expectedEvents so the automatic choice picks it");
                }
                int target = op == VpollOp.ADD ? fromMask | events : events;
                to = (target & PRIMARY) | (from & PEER_GONE);
                int raisedErr = to & ERR & ~from;
                if (raisedErr != 0) {
                    if ((from & HUP) != 0) {
                        throw new UnsupportedEventsException(backend, ERR, (from & PEER_GONE) != 0
                                ? "raise ERR again once it was cleared (the peer that reported it is gone)"
                                : "raise ERR after HUP (the reset that raises ERR needs the connection up)");
                    }
                    if ((to & HUP) == 0) {
                        throw new UnsupportedEventsException(backend, ERR,
                                "raise ERR without HUP (an AF_UNIX socket reports an error only when its peer "
                                        + "resets the connection: set ERR|HUP in one call, or use Backend.EMULATION_TCP)");
                    }
                    to |= PEER_GONE;
                }
                int orphans = target & COMPANIONS & ~closure(to);
                if (orphans != 0) {
                    throw new UnsupportedEventsException(backend, orphans,
                            "set RDNORM without IN, or WRNORM or WRBAND without OUT (unix_poll reports them only together)");
                }
                if (op == VpollOp.SET) {
                    // SET, like ADD, brings the companions of what it sets; only bits the caller
                    // named as primaries can be refused here.
                    requireNotForced(backend, from, closure(to), fromMask & ~target & ~COMPANIONS);
                }
            }
            case DELETE -> {
                int target = fromMask & ~events;
                // A companion goes with its primary: deleting IN deletes RDNORM too.
                if ((target & IN) == 0) {
                    target &= ~RDNORM;
                }
                if ((target & OUT) == 0) {
                    target &= ~(WRNORM | WRBAND);
                }
                to = (target & PRIMARY) | (from & PEER_GONE);
                requireNotForced(backend, from, closure(to), events & fromMask);
            }
            default -> throw new IllegalStateException(op.toString());
        }
        // The state lists every primary the kernel reports (RDHUP implies IN, ...), so a later
        // change compares like with like.
        return (closure(to) & PRIMARY) | (to & PEER_GONE);
    }

    /** Refuses to clear bits that stay forced: terminal events, or bits implied by others. */
    private static void requireNotForced(Backend backend, int from, int toMask, int wantCleared) {
        int stuck = (from & PEER_GONE) != 0 ? TERMINAL | IN | OUT : from & TERMINAL;
        int terminal = wantCleared & stuck;
        if (terminal != 0) {
            throw new UnsupportedEventsException(backend, terminal, (from & PEER_GONE) != 0
                    ? "clear HUP, RDHUP, IN or OUT after a reset (ERR): the peer is gone"
                    : "clear HUP or RDHUP: a shutdown cannot be undone");
        }
        int forced = wantCleared & toMask;
        if (forced != 0) {
            throw new UnsupportedEventsException(backend, forced,
                    "clear these while the events that imply them stay set (RDHUP implies IN; HUP implies IN and "
                            + "RDHUP; IN implies RDNORM; OUT implies WRNORM and WRBAND)");
        }
    }

    /** One emulated vpoll fd: A is the fd, B the peer jvpoll keeps. */
    static final class PairFile extends VpollFile {
        private final ReentrantLock lock = new ReentrantLock();
        /** B, or -1 once closed to raise ERR. Guarded by {@link #lock} (and by close, which runs once). */
        private int b;
        /** The primary events and {@link #PEER_GONE}; written under {@link #lock}. */
        private volatile int state;
        /** Bytes B sent that A has not read (IN is set iff this is non-zero, unless RDHUP/HUP force it). */
        private int inBytes;
        /** Whether the filler sits unread in B's queue (sent once, the first time OUT is cleared). */
        private boolean filler;

        PairFile(int a, int b, int initialState) {
            super(a);
            this.b = b;
            this.state = initialState;
        }

        @Override
        public Backend backend() {
            return Backend.EMULATION;
        }

        @Override
        protected int doEvents(int fd) {
            return closure(state);
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            lock.lock();
            try {
                int from = state;
                int to = plan(Backend.EMULATION, from, op, events);
                try {
                    transition(fd, from, to);
                } catch (IOException | RuntimeException e) {
                    // Record what the kernel now reports, so later calls stay exact.
                    state = (Poll.currentEvents(fd) & PRIMARY) | (b < 0 ? PEER_GONE : 0);
                    throw e;
                }
                state = to;
                return closure(to);
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
            return SNDBUF_OPEN_VALUE;
        }

        /** The SO_SNDBUF value that clears OUT once the filler is queued. */
        static MemorySegment sndbufShut() {
            return SNDBUF_SHUT_VALUE;
        }

        /** The shared discard/filler buffer batched sends and recvs point at. */
        static MemorySegment bytes() {
            return BYTES;
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
                    int next = plan(Backend.EMULATION, s, ops[j], events[j]);
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
                    next = plan(Backend.EMULATION, was, ops[j], events[j]);
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
                masks[j] = closure(next);
            }
        }

        /**
         * After a batched operation failed: records what the kernel now reports (poll(2) for the
         * events, SIOCINQ for the bytes queued on A), as {@link #doCtl} does on failure, so later
         * calls stay exact. Under {@link #lock()}.
         */
        void resync(int a) throws VpollException {
            state = (Poll.currentEvents(a) & PRIMARY) | (b < 0 ? PEER_GONE : 0);
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
                setSndbuf(a, SNDBUF_OPEN_VALUE);
                wokeWrite = true;
            }
            if ((clear & OUT) != 0) {
                if (!filler) {
                    sendAll(a, BYTES, FILLER, "send(filler)");
                    filler = true;
                }
                setSndbuf(a, SNDBUF_SHUT_VALUE);
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
                    sendAll(a, BYTES, 1, "send(reset byte)");
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
                setSndbuf(a, SNDBUF_OPEN_VALUE);
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
                Sockets.recv(a, BYTES, 1, Sockets.MSG_DONTWAIT, "recv(IN byte)");
                inBytes--;
            }
            sendAll(b, BYTES, 1, "send(IN byte)");
            inBytes++;
        }

        /** A reads every byte B sent: its receive queue is empty, IN clears. */
        private void drainIn(int a) throws VpollException {
            while (inBytes > 0) {
                long n = Sockets.recv(a, BYTES, inBytes, Sockets.MSG_DONTWAIT, "recv(IN bytes)");
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

        private static void sendAll(int fd, MemorySegment buf, long len, String what) throws VpollException {
            long n = Sockets.send(fd, buf, len, Sockets.MSG_DONTWAIT, what);
            if (n != len) {
                throw new VpollException(what, n < 0 ? (int) -n : 0, "sent " + n + " of " + len + " bytes");
            }
        }
    }
}
