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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * ADD IN racing DEL OUT then SET OUT on one EMULATION (socket pair) vpoll fd that starts at OUT
 * (IN=1, OUT=4; the socket pair has no PRI, so SET restores OUT). Outcome: (ADD's result, DEL's
 * result, SET's result, final mask); the acceptable outcomes are exactly the three orders.
 */
@JCStressTest
@Description("ADD racing DEL and SET on one EMULATION (socket pair) vpoll fd is linearizable")
@Outcome(id = "5, 1, 4, 4", expect = ACCEPTABLE, desc = "ADD, DEL, SET")
@Outcome(id = "1, 0, 4, 4", expect = ACCEPTABLE, desc = "DEL, ADD, SET")
@Outcome(id = "5, 0, 4, 5", expect = ACCEPTABLE, desc = "DEL, SET, ADD")
@State
public class AddRacingDeleteSetEmulation {
    private static final Backend BACKEND = Backend.EMULATION;
    private final VpollFd fd = Fds.take(BACKEND, Events.OUT);

    @Actor
    public void add(IIII_Result r) {
        r.r1 = Fds.outcome(() -> fd.add(Events.IN));
    }

    @Actor
    public void deleteThenSet(IIII_Result r) {
        r.r2 = Fds.outcome(() -> fd.delete(Events.OUT));
        r.r3 = Fds.outcome(() -> fd.set(Events.OUT));
    }

    @Arbiter
    public void finalMask(IIII_Result r) {
        r.r4 = Fds.events(fd);
        Fds.give(BACKEND, fd);
    }
}
