package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jvpoll.Events.OUT;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

import org.jvpoll.Backend;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
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
 *
 * <p>This class creates the pair; {@link EmulationPlan#SOCKET_PAIR} plans every change,
 * {@link SocketPairFile} drives the sockets.
 */
final class UnixEmulationBackend implements VpollBackend {

    /** The event algebra this mechanism follows. */
    private static final EmulationPlan.SocketPair PLAN = EmulationPlan.SOCKET_PAIR;
    /** What running out of descriptors is explained by. */
    static final String DESCRIPTOR_COST = "emulation holds 2 descriptors per vpoll fd (the fd and its peer)";

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
        return PLAN.supported;
    }

    @Override
    public int carriedEvents() {
        return PLAN.carries;
    }

    @Override
    public VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException {
        // Refuse before any system call. The initial events are planned from nothing, as the caller
        // sees it; that a fresh pair starts writable is the mechanism's business.
        int to = PLAN.plan(0, VpollOp.SET, initialEvents);
        MemorySegment pair = SocketPairBuffers.PAIR.get();
        // B must never leak into an exec'd child; A follows the caller's flags. Both get them from
        // socketpair, so only a caller asking for A without close-on-exec costs an extra fcntl.
        try {
            UnixSockets.socketpair(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC | (nonBlocking ? Sockets.SOCK_NONBLOCK : 0), pair);
        } catch (VpollException e) {
            throw EmulationSockets.withDescriptorCost(e, DESCRIPTOR_COST);
        }
        int a = pair.getAtIndex(JAVA_INT, 0);
        int b = pair.getAtIndex(JAVA_INT, 1);
        try {
            if (!closeOnExec) {
                Unistd.fcntl(a, Unistd.F_SETFD, 0);
            }
            // A connected socket pair starts writable: state {OUT}.
            SocketPairFile file = new SocketPairFile(a, b, OUT);
            file.start(a, to);
            return file;
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(b);
            Unistd.closeQuietly(a);
            throw e;
        }
    }
}
