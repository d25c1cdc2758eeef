package org.jvpoll.backend;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRNORM;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;

/**
 * The TCP emulation on a stock kernel, for fds that need PRI or a reversible ERR. The vpoll fd is one end ("A") of a loopback TCP
 * connection; jvpoll keeps the other end ("B") and drives A's socket state so that the kernel's
 * own tcp_poll() reports exactly the requested events:
 *
 * <table>
 * <caption>How each event is produced on A</caption>
 * <tr><th>event</th><th>set</th><th>clear</th></tr>
 * <tr><td>IN (+RDNORM)</td><td>SO_RCVLOWAT 1 over a one-byte reservoir B sent at creation</td>
 *     <td>SO_RCVLOWAT INT_MAX: the byte stays, A stops being "readable"</td></tr>
 * <tr><td>PRI</td><td>B sends one byte MSG_OOB (TCP urgent data)</td>
 *     <td>A receives it with MSG_OOB, then the reservoir is compacted behind the urgent mark</td></tr>
 * <tr><td>OUT (+WRNORM)</td><td>SO_SNDBUF raised above a few KiB A sent and B never read</td>
 *     <td>SO_SNDBUF at its minimum, below that stuck data</td></tr>
 * <tr><td>ERR</td><td>A sends one byte with a software TX timestamp: the timestamp lands in
 *     A's error queue</td><td>A drains its error queue (MSG_ERRQUEUE)</td></tr>
 * <tr><td>RDHUP (+IN)</td><td>B shuts down its writing half (A receives FIN)</td><td>terminal</td></tr>
 * <tr><td>HUP (+RDHUP, IN, OUT)</td><td>A shuts down both halves</td><td>terminal</td></tr>
 * </table>
 *
 * <p>Every change is confirmed with poll(2) on A before ctl returns, so the reported mask is what
 * every waiter sees; a change of IN alone needs no poll, since tcp_poll() reads SO_RCVLOWAT
 * synchronously over a reservoir byte known to be there. What TCP cannot express (NVAL, RDBAND,
 * WRBAND, MSG, bits above 0x2000, clearing
 * RDHUP or HUP, raising ERR while OUT stays clear, PRI after RDHUP) is refused with
 * {@link UnsupportedEventsException} before anything changes.
 */
final class TcpEmulationBackend implements VpollBackend {

    /** Events with their own mechanism. */
    static final int PRIMARY = IN | PRI | OUT | ERR | HUP | RDHUP;
    /** Bits TCP reports only together with a primary one: RDNORM with IN, WRNORM with OUT. */
    static final int COMPANIONS = RDNORM | WRNORM;
    static final int SUPPORTED = PRIMARY | COMPANIONS;
    /** Events that cannot be cleared once set. */
    static final int TERMINAL = HUP | RDHUP;

    private static final long CONFIRM_TIMEOUT_NANOS = 2_000_000_000L;
    private static final int LOWAT_NEVER = Integer.MAX_VALUE;
    private static final int SNDBUF_OPEN = 1 << 20;
    private static final int SNDBUF_SHUT = 1; // the kernel raises it to SOCK_MIN_SNDBUF (4608)
    private static final int SNDBUF_FILL = 8 << 10; // doubled by the kernel: 16 KiB of filler
    private static final int FILL_CHUNK = 4096;
    private static final int RTO_MAX_MS = 1000; // the smallest cap the kernel accepts
    private static final int SHUT_RD = 0;
    private static final int PEER_RCVBUF_DRAIN = 1 << 16;
    /** Filler goes out in pieces that fit B's small window, so none is dropped and retransmitted. */
    private static final int FILLER_SEGMENT = 1024;
    private static final int TIMESTAMP_FLAGS = Sockets.SOF_TIMESTAMPING_TX_SOFTWARE
            | Sockets.SOF_TIMESTAMPING_SOFTWARE | Sockets.SOF_TIMESTAMPING_OPT_TSONLY;

    /** @return every bit the kernel reports for the primary events {@code s} */
    static int closure(int s) {
        int m = s;
        if ((m & HUP) != 0) {
            m |= RDHUP | IN | OUT;
        }
        if ((m & RDHUP) != 0) {
            m |= IN;
        }
        if ((m & IN) != 0) {
            m |= RDNORM;
        }
        if ((m & OUT) != 0) {
            m |= WRNORM;
        }
        return m;
    }

    @Override
    public Backend type() {
        return Backend.EMULATION_TCP;
    }

    @Override
    public Availability availability() {
        return Availability.YES;
    }

    @Override
    public int supportedEvents() {
        return SUPPORTED;
    }

    /** Native scratch memory, one set per thread, so ctl allocates nothing. */
    static final class Scratch {
        final MemorySegment intBuf;
        final MemorySegment nameA;
        final MemorySegment nameB;
        final MemorySegment len;
        final MemorySegment data;
        final MemorySegment msghdr;
        final MemorySegment iov;
        final MemorySegment control;

        Scratch() {
            Arena arena = Arena.ofAuto();
            intBuf = arena.allocate(8);
            nameA = arena.allocate(Sockets.SOCKADDR_IN_SIZE);
            nameB = arena.allocate(Sockets.SOCKADDR_IN_SIZE);
            len = arena.allocate(4);
            data = arena.allocate(FILL_CHUNK);
            msghdr = arena.allocate(Sockets.MSGHDR_SIZE);
            iov = arena.allocate(Sockets.IOVEC_SIZE);
            control = arena.allocate(512);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The loopback listener that accepts the B ends; shared, created on first use. */
    private static final class Listener {
        static final ReentrantLock LOCK = new ReentrantLock();
        static int fd = -1;
        static final MemorySegment ADDRESS = Arena.global().allocate(Sockets.SOCKADDR_IN_SIZE);

        /** Call with LOCK held. */
        static int get(Scratch s) throws VpollException {
            if (fd >= 0) {
                return fd;
            }
            int l = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC | Sockets.SOCK_NONBLOCK, 0);
            try {
                Sockets.sockaddrIn(ADDRESS, Sockets.INADDR_LOOPBACK, 0);
                Sockets.bind(l, ADDRESS);
                Sockets.listen(l, 128);
                Sockets.getsockname(l, ADDRESS, s.len);
            } catch (VpollException e) {
                Unistd.closeQuietly(l);
                throw e;
            }
            fd = l;
            return l;
        }
    }

    /** Whether this kernel knows TCP_RTO_MAX_MS (Linux 6.15+); probed by the first create. */
    private static volatile boolean rtoCapAvailable = true;

    /**
     * While OUT is clear, B's tiny buffer drops filler, which A retransmits with an exponentially
     * backed-off timeout; after a pause the next retransmission could be seconds away, and raising
     * ERR or OUT (which drain B and wait for A's queue to empty) timed out. Capping A's timeout at
     * 1 s bounds that wait. Kernels before 6.15 lack the option: there a change after a long pause
     * with OUT clear can still time out (docs/reliability.md, known bugs).
     */
    private static void capRetransmissionTimeout(int a, Scratch s) throws VpollException {
        if (!rtoCapAvailable) {
            return;
        }
        try {
            Sockets.setInt(a, Sockets.IPPROTO_TCP, Sockets.TCP_RTO_MAX_MS, RTO_MAX_MS, s.intBuf, "TCP_RTO_MAX_MS");
        } catch (VpollException e) {
            if (e.errno() != org.jvpoll.Errno.ENOPROTOOPT) {
                throw e;
            }
            rtoCapAvailable = false;
        }
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        // Refuse before any system call. A connected socket starts writable ({OUT}); the caller
        // sees a new fd as starting from nothing: accept what either start allows (ERR needs
        // OUT to leave first, HUP would otherwise be refused for forcing an OUT the caller did
        // not name).
        int initial;
        try {
            initial = EmulatedFile.plan(OUT, VpollOp.SET, initialEvents);
        } catch (UnsupportedEventsException fromConnected) {
            try {
                initial = EmulatedFile.plan(0, VpollOp.SET, initialEvents);
            } catch (UnsupportedEventsException fromNothing) {
                throw fromConnected;
            }
        }
        Scratch s = SCRATCH.get();
        int a = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | (closeOnExec ? Sockets.SOCK_CLOEXEC : 0), 0);
        int b = -1;
        try {
            Sockets.setInt(a, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1, s.intBuf, "TCP_NODELAY");
            capRetransmissionTimeout(a, s);
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_SHUT, s.intBuf, "SO_SNDBUF");
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, LOWAT_NEVER, s.intBuf, "SO_RCVLOWAT");
            b = connectPair(a, s);
            Sockets.setInt(b, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1, s.intBuf, "TCP_NODELAY");
            Sockets.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 1, s.intBuf, "SO_RCVBUF");
            // The reservoir byte that SO_RCVLOWAT turns into IN.
            s.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'r');
            sendAll(b, s.data, 1, 0, "send(reservoir)");
            awaitInq(a, 1, s);
            if (nonBlocking) {
                int fl = Unistd.fcntl(a, Unistd.F_GETFL, 0);
                Unistd.fcntl(a, Unistd.F_SETFL, fl | Unistd.O_NONBLOCK);
            }
            // A connected socket starts writable: state {OUT}. Now move to the requested events.
            EmulatedFile file = new EmulatedFile(a, b, OUT);
            file.moveTo(initial, s);
            return file;
        } catch (IOException | RuntimeException e) {
            if (b >= 0) {
                Unistd.closeQuietly(b);
            }
            Unistd.closeQuietly(a);
            throw e;
        }
    }

    /** Connects A to the listener and accepts exactly A's connection as B. */
    private static int connectPair(int a, Scratch s) throws VpollException {
        Listener.LOCK.lock();
        try {
            int l = Listener.get(s);
            Sockets.connect(a, Listener.ADDRESS);
            Sockets.getsockname(a, s.nameA, s.len);
            int wantPort = Sockets.port(s.nameA);
            long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
            for (;;) {
                int b = Sockets.accept(l, s.nameB, s.len, Sockets.SOCK_CLOEXEC | Sockets.SOCK_NONBLOCK);
                if (b >= 0) {
                    if (Sockets.port(s.nameB) == wantPort) {
                        return b;
                    }
                    // Another local process connected to our listener: not ours, refuse it.
                    Unistd.closeQuietly(b);
                    continue;
                }
                if (System.nanoTime() > deadline) {
                    throw new VpollException("accept4(loopback listener)", Errno.EAGAIN,
                            "the connection of the new vpoll fd did not arrive");
                }
                Poll.pollOne(l, Events.IN, 10);
            }
        } finally {
            Listener.LOCK.unlock();
        }
    }

    private static void sendAll(int fd, MemorySegment buf, long len, int flags, String what) throws VpollException {
        long n = Sockets.send(fd, buf, len, flags | Sockets.MSG_DONTWAIT, what);
        if (n != len) {
            throw new VpollException(what, n < 0 ? (int) -n : 0, "sent " + n + " of " + len + " bytes");
        }
    }

    private static int inq(int fd, Scratch s) throws VpollException {
        return Ioctl.ioctlInt(fd, Ioctl.SIOCINQ, s.intBuf, "ioctl(SIOCINQ)");
    }

    private static int outq(int fd, Scratch s) throws VpollException {
        return Ioctl.ioctlInt(fd, Ioctl.SIOCOUTQ, s.intBuf, "ioctl(SIOCOUTQ)");
    }

    private static void awaitInq(int fd, int want, Scratch s) throws VpollException {
        long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
        while (inq(fd, s) < want) {
            if (System.nanoTime() > deadline) {
                throw new VpollException("emulation", 0, "loopback data did not arrive within 2 s");
            }
            Thread.onSpinWait();
        }
    }

    /** One emulated vpoll fd. */
    static final class EmulatedFile extends VpollFile {
        private final int b;
        private final ReentrantLock lock = new ReentrantLock();
        /** The primary events set; always closed under {@link #closure} restricted to PRIMARY. */
        private volatile int state;
        /** Whether A holds data B has not read (needed while OUT is clear). */
        private boolean stuck;
        /** Timestamps raised into A's error queue since it was last drained (ERR re-signals keep it at most 2). */
        private int errQueued;
        /**
         * Whether A's receive queue surely holds the reservoir byte: true from creation (which
         * waits for it), false while a byte clearPri sent may still be in flight, true again once
         * a confirmed IN without PRI proves a byte is there.
         */
        private boolean reservoirLanded = true;

        EmulatedFile(int a, int b, int initialState) {
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
            return closure(state);
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) throws IOException {
            return apply(op, events, SCRATCH.get());
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

        int apply(VpollOp op, int events, Scratch s) throws IOException {
            lock.lock();
            try {
                return moveTo(plan(state, op, events), s);
            } finally {
                lock.unlock();
            }
        }

        /** Drives the sockets to the planned state {@code to}. @return its mask */
        int moveTo(int to, Scratch s) throws IOException {
            lock.lock();
            try {
                int from = state;
                try {
                    transition(fd(), from, to, s);
                } catch (IOException | RuntimeException e) {
                    // Leave the recorded state as the kernel now has it, so later calls stay exact.
                    state = Poll.currentEvents(fd()) & PRIMARY;
                    throw e;
                }
                state = to;
                return closure(to);
            } finally {
                lock.unlock();
            }
        }

        /** Validates a request and returns the new primary state, changing nothing. */
        static int plan(int from, VpollOp op, int events) {
            int fromMask = closure(from);
            int to;
            switch (op) {
                case ADD, SET -> {
                    int unsupported = events & ~SUPPORTED;
                    if (unsupported != 0) {
                        throw new UnsupportedEventsException(Backend.EMULATION_TCP, unsupported,
                                "produce these events on a stock kernel (supported: IN, PRI, OUT, ERR, HUP, "
                                        + "RDHUP and their companions RDNORM, WRNORM)");
                    }
                    int target = op == VpollOp.ADD ? fromMask | events : events;
                    to = closure(target & PRIMARY) & PRIMARY;
                    int orphans = target & COMPANIONS & ~closure(to);
                    if (orphans != 0) {
                        throw new UnsupportedEventsException(Backend.EMULATION_TCP, orphans,
                                "set RDNORM without IN or WRNORM without OUT (TCP reports them only together)");
                    }
                    if (op == VpollOp.SET) {
                        // SET, like ADD, brings the companions of what it sets; only bits the
                        // caller named as primaries can be refused here.
                        requireNotForced(from, closure(to), fromMask & ~target & ~COMPANIONS);
                    }
                }
                case DELETE -> {
                    int target = fromMask & ~events;
                    // A companion goes with its primary: deleting IN deletes RDNORM too.
                    if ((target & IN) == 0) {
                        target &= ~RDNORM;
                    }
                    if ((target & OUT) == 0) {
                        target &= ~WRNORM;
                    }
                    to = closure(target & PRIMARY) & PRIMARY;
                    requireNotForced(from, closure(to), events & fromMask);
                }
                default -> throw new IllegalStateException(op.toString());
            }
            int raised = to & ~from;
            if ((raised & ERR) != 0 && (from & OUT) == 0 && (to & OUT) == 0) {
                throw new UnsupportedEventsException(Backend.EMULATION_TCP, ERR,
                        "raise ERR while OUT stays clear (the byte whose timestamp raises ERR cannot leave a full "
                                + "send queue); set OUT in the same call or first");
            }
            if ((raised & ERR) != 0 && (from & HUP) != 0) {
                throw new UnsupportedEventsException(Backend.EMULATION_TCP, ERR,
                        "raise ERR after HUP (a shut-down socket sends nothing)");
            }
            if ((raised & PRI) != 0 && (from & RDHUP) != 0) {
                throw new UnsupportedEventsException(Backend.EMULATION_TCP, PRI,
                        "raise PRI after RDHUP or HUP (the peer has shut down its writing half)");
            }
            return to;
        }

        /** Refuses to clear bits that remain forced: terminal events, or bits implied by others. */
        private static void requireNotForced(int from, int toMask, int wantCleared) {
            int terminal = wantCleared & from & TERMINAL;
            if (terminal != 0) {
                throw new UnsupportedEventsException(Backend.EMULATION_TCP, terminal,
                        "clear HUP or RDHUP: a TCP shutdown cannot be undone");
            }
            int forced = wantCleared & toMask;
            if (forced != 0) {
                throw new UnsupportedEventsException(Backend.EMULATION_TCP, forced,
                        "clear these while the events that imply them stay set (RDHUP implies IN; HUP implies "
                                + "IN, RDHUP, OUT; IN implies RDNORM; OUT implies WRNORM)");
            }
        }

        /** Drives the sockets from {@code from} to {@code to}, in an order every step allows. */
        private void transition(int a, int from, int to, Scratch s) throws IOException {
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
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_OPEN, s.intBuf, "SO_SNDBUF");
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
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 2, s.intBuf, "SO_RCVLOWAT");
                s.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'p');
                sendAll(b, s.data, 1, Sockets.MSG_OOB, "send(MSG_OOB)");
                awaitEvent(a, PRI);
                set &= ~PRI; // IN is completed below by SO_RCVLOWAT 1
                wokeRead = true;
            }
            if ((set & PRI) != 0) {
                s.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'p');
                sendAll(b, s.data, 1, Sockets.MSG_OOB, "send(MSG_OOB)");
                wokeRead = true;
            }
            if ((clear & PRI) != 0) {
                clearPri(a, (to & RDHUP) != 0, s);
            }
            if ((set & IN) != 0) {
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 1, s.intBuf, "SO_RCVLOWAT");
                wokeRead = true;
            }
            if ((clear & IN) != 0) {
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, LOWAT_NEVER, s.intBuf, "SO_RCVLOWAT");
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
            confirm(a, closure(to), s);
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
        private void resignal(int a, int to, boolean wokeRead, boolean wokeWrite, Scratch s) throws VpollException {
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
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 1, s.intBuf, "SO_RCVLOWAT");
            }
            if ((to & OUT) != 0 && !wokeWrite) {
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_OPEN, s.intBuf, "SO_SNDBUF");
            }
        }

        private void raiseErr(int a, Scratch s) throws VpollException {
            // The timestamped byte must leave A at once: first let B take everything A queued.
            drainPeer(a, s);
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_TIMESTAMPING, TIMESTAMP_FLAGS, s.intBuf, "SO_TIMESTAMPING");
            try {
                s.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'e');
                sendAll(a, s.data, 1, 0, "send(timestamped byte)");
            } finally {
                Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_TIMESTAMPING, 0, s.intBuf, "SO_TIMESTAMPING");
            }
        }

        private void drainErrorQueue(int a, Scratch s) throws VpollException {
            for (;;) {
                Sockets.msghdr(s.msghdr, s.iov, s.data.asSlice(0, 64), s.control);
                long n = Sockets.recvmsg(a, s.msghdr, Sockets.MSG_ERRQUEUE | Sockets.MSG_DONTWAIT, "recvmsg(MSG_ERRQUEUE)");
                if (n < 0) {
                    return;
                }
            }
        }

        /** B reads everything A sent, until A has nothing unacknowledged and B nothing unread. */
        private void drainPeer(int a, Scratch s) throws VpollException {
            long deadline = System.nanoTime() + CONFIRM_TIMEOUT_NANOS;
            // B's tiny buffer (which closes its window for clearOut) leaves less free space than
            // a segment, so B would never reopen its window and A would only get the filler out
            // on backed-off retransmissions (3 s). Open it for the drain, close it again after.
            Sockets.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, PEER_RCVBUF_DRAIN, s.intBuf, "SO_RCVBUF");
            for (;;) {
                while (Sockets.recv(b, s.data, FILL_CHUNK, Sockets.MSG_DONTWAIT, "recv(peer)") > 0) {
                    // discard
                }
                // Filler acknowledged after B's last recv still fills B's tiny window: the
                // timestamped byte would then wait in A's queue and ERR never appear.
                if (outq(a, s) == 0 && inq(b, s) == 0) {
                    Sockets.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 1, s.intBuf, "SO_RCVBUF");
                    stuck = false;
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new VpollException("emulation", 0, "the peer could not drain A's send queue within 2 s ("
                            + outq(a, s) + " bytes unacknowledged, " + inq(b, s) + " unread)");
                }
                Poll.pollOne(b, Events.IN, 1);
            }
        }

        private void clearPri(int a, boolean peerShut, Scratch s) throws VpollException {
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
            s.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'r');
            sendAll(b, s.data, 1, 0, "send(reservoir)");
            Sockets.recv(a, s.data, 64, Sockets.MSG_DONTWAIT, "recv(compact)");
        }

        private void clearOut(int a, Scratch s) throws VpollException {
            // Queue several times what A's smallest send buffer holds, then shrink the buffer: A
            // stays unwritable until most of that queue is gone, and B, which never reads, can
            // only take a few KiB more over time (retransmissions landing as its tiny queue
            // collapses). Filling only to the small buffer let that trickle make A writable again
            // long after the ctl returned.
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_FILL, s.intBuf, "SO_SNDBUF");
            // Top up even if filler is already stuck: B may have taken some of it since.
            s.data.fill((byte) 'f');
            while (Sockets.send(a, s.data, FILLER_SEGMENT, Sockets.MSG_DONTWAIT, "send(filler)") > 0) {
                // until A's send queue is full and B's window closed
            }
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, SNDBUF_SHUT, s.intBuf, "SO_SNDBUF");
            stuck = true;
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
        private void confirm(int a, int mask, Scratch s) throws VpollException {
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
}
