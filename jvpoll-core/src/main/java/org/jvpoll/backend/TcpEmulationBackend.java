package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.jvpoll.Events.OUT;

import java.io.IOException;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
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
 *
 * <p>This class creates the pair; {@link EmulationPlan#TCP} plans every change,
 * {@link TcpPairFile} drives the sockets, {@link LoopbackListener} accepts the peers.
 */
final class TcpEmulationBackend implements VpollBackend {

    private static final EmulationPlan.Tcp PLAN = EmulationPlan.TCP;
    /** What running out of descriptors is explained by. */
    static final String DESCRIPTOR_COST = "TCP emulation holds 2 descriptors per vpoll fd (the fd and its peer, "
            + "plus one loopback listener per process)";
    private static final int RTO_MAX_MS = 1000; // the smallest cap the kernel accepts

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
        return PLAN.supported;
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
    private static void capRetransmissionTimeout(int a, TcpScratch s) throws VpollException {
        if (!rtoCapAvailable) {
            return;
        }
        try {
            s.setInt(a, Sockets.IPPROTO_TCP, Sockets.TCP_RTO_MAX_MS, RTO_MAX_MS, "TCP_RTO_MAX_MS");
        } catch (VpollException e) {
            if (e.errno() != Errno.ENOPROTOOPT) {
                throw e;
            }
            rtoCapAvailable = false;
        }
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        int initial = planInitial(initialEvents);
        TcpScratch s = TcpScratch.get();
        int a;
        try {
            a = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | (closeOnExec ? Sockets.SOCK_CLOEXEC : 0), 0);
        } catch (VpollException e) {
            throw EmulationSockets.withDescriptorCost(e, DESCRIPTOR_COST);
        }
        int b = -1;
        try {
            s.setInt(a, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1, "TCP_NODELAY");
            capRetransmissionTimeout(a, s);
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, TcpPairFile.SNDBUF_SHUT, "SO_SNDBUF");
            s.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, TcpPairFile.LOWAT_NEVER, "SO_RCVLOWAT");
            try {
                b = LoopbackListener.connectPair(a, s);
            } catch (VpollException e) {
                throw EmulationSockets.withDescriptorCost(e, DESCRIPTOR_COST);
            }
            s.setInt(b, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1, "TCP_NODELAY");
            s.setInt(b, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 1, "SO_RCVBUF");
            // The reservoir byte that SO_RCVLOWAT turns into IN.
            s.data.set(JAVA_BYTE, 0, (byte) 'r');
            EmulationSockets.sendAll(b, s.data, 1, 0, "send(reservoir)");
            awaitInq(a, 1, s);
            if (nonBlocking) {
                int fl = Unistd.fcntl(a, Unistd.F_GETFL, 0);
                Unistd.fcntl(a, Unistd.F_SETFL, fl | Unistd.O_NONBLOCK);
            }
            // A connected socket starts writable: state {OUT}. Now move to the requested events.
            TcpPairFile file = new TcpPairFile(a, b, OUT);
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

    /**
     * Refuses before any system call. A connected socket starts writable ({OUT}); the caller sees
     * a new fd as starting from nothing: accept what either start allows (ERR needs OUT to leave
     * first, HUP would otherwise be refused for forcing an OUT the caller did not name).
     */
    private static int planInitial(int initialEvents) {
        try {
            return PLAN.plan(OUT, VpollOp.SET, initialEvents);
        } catch (UnsupportedEventsException fromConnected) {
            try {
                return PLAN.plan(0, VpollOp.SET, initialEvents);
            } catch (UnsupportedEventsException fromNothing) {
                throw fromConnected;
            }
        }
    }

    private static void awaitInq(int fd, int want, TcpScratch s) throws VpollException {
        long deadline = System.nanoTime() + TcpPairFile.CONFIRM_TIMEOUT_NANOS;
        while (s.inq(fd) < want) {
            if (System.nanoTime() > deadline) {
                throw new VpollException("emulation", 0, "loopback data did not arrive within 2 s");
            }
            Thread.onSpinWait();
        }
    }
}
