package org.jvpoll.backend;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRBAND;
import static org.jvpoll.Events.WRNORM;

import org.jvpoll.Backend;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollOp;

/**
 * The event algebra of a socket emulation, in one place for both: which bits it can carry, which
 * bits imply which (a socket reports RDNORM with IN, RDHUP implies IN, ...), which cannot be
 * cleared, and so how to get from one state to the state a ctl asks for. {@link #plan} validates
 * a request and returns the new state without any system call, so every refusal happens before
 * anything changes.
 *
 * <p>A state is the set of primary events the socket reports (always closed under the
 * implications) plus the emulation's internal bits; {@link #closure} turns it into the mask poll
 * reports. The two emulations differ only in the rules below: {@link #SOCKET_PAIR} and
 * {@link #TCP}.
 */
abstract class EmulationPlan {

    /** The AF_UNIX socket pair ({@link UnixEmulationBackend}). */
    static final SocketPair SOCKET_PAIR = new SocketPair();
    /** The loopback TCP connection ({@link TcpEmulationBackend}). */
    static final Tcp TCP = new Tcp();

    final Backend backend;
    /** Events with their own mechanism. */
    final int primary;
    /** Bits the socket reports only together with a primary one. */
    final int companions;
    final int supported;
    /** Events that cannot be cleared once set. */
    final int terminal;
    /** State bits that are no poll event, carried from state to state. */
    final int internal;

    private EmulationPlan(Backend backend, int primary, int companions, int internal) {
        this.backend = backend;
        this.primary = primary;
        this.companions = companions;
        this.supported = primary | companions;
        this.terminal = HUP | RDHUP;
        this.internal = internal;
    }

    /** @return every bit the socket reports for the state {@code s} (primaries and internal bits) */
    abstract int closure(int s);

    /** Why {@code events & ~supported} cannot be produced. */
    abstract String unsupportedReason();

    /** Why companions without their primary are refused. */
    abstract String orphanReason();

    /** Why implied bits cannot be cleared while what implies them stays. */
    abstract String forcedReason();

    /** @return the bits that can no longer be cleared in the state {@code from} */
    int stuck(int from) {
        return from & terminal;
    }

    /** Why clearing {@link #stuck} bits is refused. */
    abstract String stuckReason(int from);

    /**
     * Checks what ADD or SET raises against the mechanism before the companion check, and returns
     * the state with the internal bits raising needs. Refuses with {@link UnsupportedEventsException}.
     */
    int checkRaise(int from, int to) {
        return to;
    }

    /** Checks the planned change as a whole, after the generic checks. */
    void checkChange(int from, int to) {
        // no further rules
    }

    /** @return {@code s} with every primary its primaries imply, and its internal bits */
    final int normalize(int s) {
        return (closure(s) & primary) | (s & internal);
    }

    /**
     * Validates a request against the state {@code from} and returns the new state, changing
     * nothing.
     *
     * @throws UnsupportedEventsException if the emulation cannot make this change
     */
    final int plan(int from, VpollOp op, int events) {
        int fromMask = closure(from);
        int to;
        switch (op) {
            case ADD, SET -> {
                int unsupported = events & ~supported;
                if (unsupported != 0) {
                    throw new UnsupportedEventsException(backend, unsupported, unsupportedReason());
                }
                int target = op == VpollOp.ADD ? fromMask | events : events;
                to = normalize(checkRaise(from, normalize((target & primary) | (from & internal))));
                int orphans = target & companions & ~closure(to);
                if (orphans != 0) {
                    throw new UnsupportedEventsException(backend, orphans, orphanReason());
                }
                if (op == VpollOp.SET) {
                    // SET, like ADD, brings the companions of what it sets; only bits the caller
                    // named as primaries can be refused here.
                    requireNotForced(from, closure(to), fromMask & ~target & ~companions);
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
                to = normalize((target & primary) | (from & internal));
                requireNotForced(from, closure(to), events & fromMask);
            }
            default -> throw new IllegalStateException(op.toString());
        }
        checkChange(from, to);
        return to;
    }

    /** Refuses to clear bits that stay forced: terminal events, or bits implied by others. */
    private void requireNotForced(int from, int toMask, int wantCleared) {
        int stuck = wantCleared & stuck(from);
        if (stuck != 0) {
            throw new UnsupportedEventsException(backend, stuck, stuckReason(from));
        }
        int forced = wantCleared & toMask;
        if (forced != 0) {
            throw new UnsupportedEventsException(backend, forced, forcedReason());
        }
    }

    /**
     * The AF_UNIX socket pair: IN, OUT, RDHUP, HUP, and ERR only as a reset, which closes the peer
     * for good ({@link #PEER_GONE}).
     */
    static final class SocketPair extends EmulationPlan {
        /** Internal state bit: B is closed (after ERR), which forces HUP, RDHUP, IN and OUT for good. */
        static final int PEER_GONE = 1 << 30;
        /** What an fd of this mechanism can carry on its own, for automatic backend choice (ERR needs HUP). */
        final int carries;

        private SocketPair() {
            super(Backend.EMULATION, IN | OUT | RDHUP | HUP | ERR, RDNORM | WRNORM | WRBAND, PEER_GONE);
            carries = supported & ~ERR;
        }

        @Override
        int closure(int s) {
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
        String unsupportedReason() {
            return "produce these events over an AF_UNIX socket pair (it produces IN, OUT, RDHUP, HUP, ERR "
                    + "together with HUP, and their companions RDNORM, WRNORM, WRBAND); for PRI or an "
                    + "ERR of its own use Backend.EMULATION_TCP, or name them in "
                    + "VpollFd.Options.expectedEvents so the automatic choice picks it";
        }

        @Override
        String orphanReason() {
            return "set RDNORM without IN, or WRNORM or WRBAND without OUT (unix_poll reports them only together)";
        }

        @Override
        String forcedReason() {
            return "clear these while the events that imply them stay set (RDHUP implies IN; HUP implies IN and "
                    + "RDHUP; IN implies RDNORM; OUT implies WRNORM and WRBAND)";
        }

        @Override
        int stuck(int from) {
            return (from & PEER_GONE) != 0 ? terminal | IN | OUT : from & terminal;
        }

        @Override
        String stuckReason(int from) {
            return (from & PEER_GONE) != 0
                    ? "clear HUP, RDHUP, IN or OUT after a reset (ERR): the peer is gone"
                    : "clear HUP or RDHUP: a shutdown cannot be undone";
        }

        /** ERR is a reset: only with HUP, only once, and it takes the peer away. */
        @Override
        int checkRaise(int from, int to) {
            if ((to & ERR & ~from) == 0) {
                return to;
            }
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
            return to | PEER_GONE;
        }
    }

    /** The loopback TCP connection: IN, PRI, OUT, ERR set and cleared; RDHUP, HUP terminal. */
    static final class Tcp extends EmulationPlan {
        private Tcp() {
            super(Backend.EMULATION_TCP, IN | PRI | OUT | ERR | HUP | RDHUP, RDNORM | WRNORM, 0);
        }

        @Override
        int closure(int s) {
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
        String unsupportedReason() {
            return "produce these events on a stock kernel (supported: IN, PRI, OUT, ERR, HUP, "
                    + "RDHUP and their companions RDNORM, WRNORM)";
        }

        @Override
        String orphanReason() {
            return "set RDNORM without IN or WRNORM without OUT (TCP reports them only together)";
        }

        @Override
        String forcedReason() {
            return "clear these while the events that imply them stay set (RDHUP implies IN; HUP implies "
                    + "IN, RDHUP, OUT; IN implies RDNORM; OUT implies WRNORM)";
        }

        @Override
        String stuckReason(int from) {
            return "clear HUP or RDHUP: a TCP shutdown cannot be undone";
        }

        /** What the sockets' order of operations rules out: ERR needs a byte to leave, PRI a peer that writes. */
        @Override
        void checkChange(int from, int to) {
            int raised = to & ~from;
            if ((raised & ERR) != 0 && (from & OUT) == 0 && (to & OUT) == 0) {
                throw new UnsupportedEventsException(backend, ERR,
                        "raise ERR while OUT stays clear (the byte whose timestamp raises ERR cannot leave a full "
                                + "send queue); set OUT in the same call or first");
            }
            if ((raised & ERR) != 0 && (from & HUP) != 0) {
                throw new UnsupportedEventsException(backend, ERR,
                        "raise ERR after HUP (a shut-down socket sends nothing)");
            }
            if ((raised & PRI) != 0 && (from & RDHUP) != 0) {
                throw new UnsupportedEventsException(backend, PRI,
                        "raise PRI after RDHUP or HUP (the peer has shut down its writing half)");
            }
        }
    }
}
