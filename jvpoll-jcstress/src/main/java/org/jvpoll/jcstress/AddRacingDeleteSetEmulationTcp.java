package org.jvpoll.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;

/** {@link AddRacingDeleteSet} on the EMULATION_TCP backend, setting PRI (2). */
@JCStressTest
@Description("ADD racing DEL and SET on one EMULATION_TCP vpoll fd is linearizable")
@Outcome(id = "5, 1, 2, 2", expect = ACCEPTABLE, desc = "ADD, DEL, SET")
@Outcome(id = "1, 0, 2, 2", expect = ACCEPTABLE, desc = "DEL, ADD, SET")
@Outcome(id = "3, 0, 2, 3", expect = ACCEPTABLE, desc = "DEL, SET, ADD")
@State
public class AddRacingDeleteSetEmulationTcp extends AddRacingDeleteSet {
    public AddRacingDeleteSetEmulationTcp() {
        super(Backend.EMULATION_TCP, Events.PRI);
    }
}
