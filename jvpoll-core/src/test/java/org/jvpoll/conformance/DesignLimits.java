package org.jvpoll.conformance;

import java.util.List;
import java.util.function.Predicate;

import org.jvpoll.Backend;
import org.jvpoll.Events;

/**
 * The one place where a conformance cell may be excused: a limit of a backend's mechanism, stated
 * with its reason. A scenario under a declared limit still runs; it must fail (the limit holds) —
 * if it passes, the limit is stale and the matrix fails until it is removed here.
 */
final class DesignLimits {
    private DesignLimits() {}

    /**
     * A limit: {@code id} for the docs, the columns it binds (a backend, or a backend over a given
     * device: dev-vpoll over a FUSE-served file inherits FUSE's limits), the scenarios it covers, why.
     */
    record Limit(String id, List<String> columns, Predicate<String> scenarios, String reason) {}

    /** Both emulations: the socket pair ("emulation") and the TCP connection ("emulation-tcp"). */
    private static final List<String> EMULATIONS = List.of("emulation", "emulation-tcp");
    private static final List<String> SOCKET_PAIR = List.of("emulation");
    private static final List<String> TCP = List.of("emulation-tcp");
    /** FUSE, and the dev-vpoll backend when its device is a FUSE-served file. */
    private static final List<String> OVER_FUSE = List.of("fuse", "dev-vpoll (FUSE-served file)");

    static final List<Limit> LIMITS = List.of(
            new Limit("E1", EMULATIONS, id -> id.endsWith(".HUP") && id.startsWith("events.")
                    || id.endsWith(".RDHUP") && id.startsWith("events."),
                    "HUP and RDHUP are socket shutdowns, which cannot be undone (terminal: set, never cleared)"),
            new Limit("E2", EMULATIONS, id -> id.equals("scm-rights.ctl-from-other-process"),
                    "the events live in the socket pair's state driven by the creating process; another "
                            + "process holding the fd has no ctl (the fd is a plain socket there)"),
            new Limit("E3", TCP, id -> id.equals("events.atomic-combination"),
                    "one ctl that raises several events drives several socket mechanisms in turn; only IN|PRI "
                            + "and the shutdowns land in one step, so a blocked waiter can wake between steps"),
            new Limit("E4", TCP, id -> id.equals("epoll-et.re-add.PRI"),
                    "a ctl that changes nothing re-signals edge-triggered waiters through the IN (SO_RCVLOWAT), "
                            + "OUT (SO_SNDBUF), ERR (one more timestamp) and shutdown mechanisms; TCP has no way to "
                            + "re-signal PRI alone (or ERR while OUT is clear) without a visible change"),
            new Limit("E5", EMULATIONS, id -> id.equals("events.epoll-lt.bit-16"),
                    "a socket's poll reports only the named poll bits; any other bit is refused "
                            + "(UnsupportedEventsException)"),
            new Limit("U1", SOCKET_PAIR, id -> id.contains("PRI") || id.equals("events.atomic-combination"),
                    "an AF_UNIX socket pair has no PRI of its own (its urgent data always comes with IN): refused "
                            + "(UnsupportedEventsException); fds that expect PRI get the TCP emulation "
                            + "(VpollFd.Options.expectedEvents, or Backend.EMULATION_TCP)"),
            new Limit("U2", SOCKET_PAIR, id -> id.endsWith(".ERR") || id.contains(".ERR.") || id.equals("epoll-et.every-ctl-wakes"),
                    "an AF_UNIX socket reports an error only when its peer resets the connection, so ERR comes "
                            + "only together with HUP (terminal); ERR on its own is refused, and fds that expect it "
                            + "get the TCP emulation"),
            new Limit("F1", OVER_FUSE, id -> id.equals("events.epoll-lt.bit-16"),
                    "the kernel turns a FUSE poll reply into named poll bits only (0-10 and 13), so no other "
                            + "bit reaches a waiter (the fuse backend refuses them; a served /dev/vpoll file keeps them "
                            + "for ioctl and read, but poll and epoll cannot see them)"));

    /** @return the limit covering this cell, or null */
    static Limit find(Backend backend, String scenarioId) {
        // A guest's column inherits its backend's limits: the mechanism is the same on every kernel.
        String column = Matrix.baseColumn(Matrix.columnFor(backend));
        for (Limit l : LIMITS) {
            if (l.columns().contains(column) && l.scenarios().test(scenarioId)) {
                return l;
            }
        }
        return null;
    }

    /**
     * Events a backend needs pending before {@code event} can be raised (a precondition, not an
     * excuse: the event itself is still set and cleared). TCP emulation: ERR is a timestamp of a byte
     * that must leave the send queue, so OUT must be pending.
     */
    static int baseFor(Backend backend, int event) {
        return backend == Backend.EMULATION_TCP && (event & Events.ERR) != 0 ? Events.OUT : 0;
    }
}
