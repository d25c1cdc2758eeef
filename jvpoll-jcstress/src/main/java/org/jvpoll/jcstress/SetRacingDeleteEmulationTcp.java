package org.jvpoll.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;

import org.jvpoll.Backend;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;

/** {@link SetRacingDelete} on the EMULATION_TCP backend. */
@JCStressTest
@Description("SET racing DEL on one EMULATION_TCP vpoll fd is linearizable")
@Outcome(id = "3, 1, 1", expect = ACCEPTABLE, desc = "SET, DEL")
@Outcome(id = "3, 0, 3", expect = ACCEPTABLE, desc = "DEL, SET")
@State
public class SetRacingDeleteEmulationTcp extends SetRacingDelete {
    public SetRacingDeleteEmulationTcp() {
        super(Backend.EMULATION_TCP);
    }
}
