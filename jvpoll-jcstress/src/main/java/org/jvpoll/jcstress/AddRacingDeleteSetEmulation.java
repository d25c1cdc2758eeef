package org.jvpoll.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;

/** {@link AddRacingDeleteSet} on the EMULATION backend, setting OUT (4). */
@JCStressTest
@Description("ADD racing DEL and SET on one EMULATION vpoll fd is linearizable")
@Outcome(id = "5, 1, 4, 4", expect = ACCEPTABLE, desc = "ADD, DEL, SET")
@Outcome(id = "1, 0, 4, 4", expect = ACCEPTABLE, desc = "DEL, ADD, SET")
@Outcome(id = "5, 0, 4, 5", expect = ACCEPTABLE, desc = "DEL, SET, ADD")
@State
public class AddRacingDeleteSetEmulation extends AddRacingDeleteSet {
    public AddRacingDeleteSetEmulation() {
        super(Backend.EMULATION, Events.OUT);
    }
}
