package org.jvpoll.jcstress;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * close() racing ADD IN then DEL OUT on one vpoll fd that starts at OUT (IN=1, OUT=4). Each ctl
 * either completes as if before the close or fails with ClosedChannelException (-1), and the fd
 * ends closed (r3 = 0). Any other exception (-2) or an fd left open is forbidden. One subclass per
 * backend carries the jcstress annotations.
 */
abstract class CloseRacingCtl {
    private final VpollFd fd;

    CloseRacingCtl(Backend backend) {
        fd = PooledVpollFds.create(backend, Events.OUT);
    }

    @Actor
    public void ctl(III_Result r) {
        r.r1 = PooledVpollFds.outcome(() -> fd.add(Events.IN));
        r.r2 = PooledVpollFds.outcome(() -> fd.delete(Events.OUT));
    }

    @Actor
    public void close() {
        fd.close();
    }

    @Arbiter
    public void closed(III_Result r) {
        r.r3 = fd.isOpen() ? 1 : 0;
    }
}
