package org.jvpoll.jcstress;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * ADD IN racing DEL OUT then SET S on one vpoll fd that starts at OUT (IN=1, PRI=2, OUT=4; S is
 * PRI, or OUT on the socket-pair emulation, which has no PRI). Outcome: (ADD's result, DEL's
 * result, SET's result, final mask). The acceptable outcomes are exactly the three orders the calls
 * can take: (5, 1, S, S), (1, 0, S, S), (S|1, 0, S, S|1); a lost update, a torn mask, a result no
 * order produces or an exception (-2) is forbidden. One subclass per backend carries the jcstress
 * annotations (the outcome ids depend on S).
 */
abstract class AddRacingDeleteSet {
    private final Backend backend;
    private final int setTo;
    private final VpollFd fd;

    AddRacingDeleteSet(Backend backend, int setTo) {
        this.backend = backend;
        this.setTo = setTo;
        this.fd = PooledVpollFds.take(backend, Events.OUT);
    }

    @Actor
    public void add(IIII_Result r) {
        r.r1 = PooledVpollFds.outcome(() -> fd.add(Events.IN));
    }

    @Actor
    public void deleteThenSet(IIII_Result r) {
        r.r2 = PooledVpollFds.outcome(() -> fd.delete(Events.OUT));
        r.r3 = PooledVpollFds.outcome(() -> fd.set(setTo));
    }

    @Arbiter
    public void finalMask(IIII_Result r) {
        r.r4 = PooledVpollFds.events(fd);
        PooledVpollFds.give(backend, fd);
    }
}
