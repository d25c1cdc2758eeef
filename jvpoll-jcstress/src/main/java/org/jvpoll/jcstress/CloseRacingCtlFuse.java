package org.jvpoll.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * close() racing ADD IN then DEL OUT on one FUSE vpoll fd that starts at OUT (IN=1, OUT=4). Each
 * ctl either completes as if before the close or fails with ClosedChannelException (-1), and the
 * fd ends closed (r3 = 0). Any other exception (-2) or an fd left open is forbidden.
 */
@JCStressTest
@Description("close racing ctl on one FUSE vpoll fd: each ctl completes or sees a closed fd")
@Outcome(id = "5, 1, 0", expect = ACCEPTABLE, desc = "ADD, DEL, close")
@Outcome(id = "5, -1, 0", expect = ACCEPTABLE, desc = "ADD, close, DEL")
@Outcome(id = "-1, -1, 0", expect = ACCEPTABLE, desc = "close, ADD, DEL")
@State
public class CloseRacingCtlFuse {
    private final VpollFd fd = Fds.create(Backend.FUSE, Events.OUT);

    @Actor
    public void ctl(III_Result r) {
        r.r1 = Fds.outcome(() -> fd.add(Events.IN));
        r.r2 = Fds.outcome(() -> fd.delete(Events.OUT));
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
