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
 * SET IN|PRI racing DEL PRI|OUT on one EMULATION_TCP vpoll fd that starts at OUT (IN=1, PRI=2, OUT=4).
 * Outcome: (SET's result, DEL's result, final mask); only the two orders are acceptable.
 */
@JCStressTest
@Description("SET racing DEL on one EMULATION_TCP vpoll fd is linearizable")
@Outcome(id = "3, 1, 1", expect = ACCEPTABLE, desc = "SET, DEL")
@Outcome(id = "3, 0, 3", expect = ACCEPTABLE, desc = "DEL, SET")
@State
public class SetRacingDeleteEmulationTcp {
    private static final Backend BACKEND = Backend.EMULATION_TCP;
    private final VpollFd fd = Fds.take(BACKEND, Events.OUT);

    @Actor
    public void set(III_Result r) {
        r.r1 = Fds.outcome(() -> fd.set(Events.IN | Events.PRI));
    }

    @Actor
    public void delete(III_Result r) {
        r.r2 = Fds.outcome(() -> fd.delete(Events.PRI | Events.OUT));
    }

    @Arbiter
    public void finalMask(III_Result r) {
        r.r3 = Fds.events(fd);
        Fds.give(BACKEND, fd);
    }
}
