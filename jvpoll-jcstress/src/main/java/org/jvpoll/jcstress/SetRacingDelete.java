package org.jvpoll.jcstress;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * SET IN|PRI racing DEL PRI|OUT on one vpoll fd that starts at OUT (IN=1, PRI=2, OUT=4).
 * Outcome: (SET's result, DEL's result, final mask); only the two orders are acceptable. One
 * subclass per backend with PRI carries the jcstress annotations.
 */
abstract class SetRacingDelete {
    private final Backend backend;
    private final VpollFd fd;

    SetRacingDelete(Backend backend) {
        this.backend = backend;
        this.fd = PooledVpollFds.take(backend, Events.OUT);
    }

    @Actor
    public void set(III_Result r) {
        r.r1 = PooledVpollFds.outcome(() -> fd.set(Events.IN | Events.PRI));
    }

    @Actor
    public void delete(III_Result r) {
        r.r2 = PooledVpollFds.outcome(() -> fd.delete(Events.PRI | Events.OUT));
    }

    @Arbiter
    public void finalMask(III_Result r) {
        r.r3 = PooledVpollFds.events(fd);
        PooledVpollFds.give(backend, fd);
    }
}
