package org.jvpoll.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;

import org.jvpoll.Backend;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;

/** {@link CloseRacingCtl} on the FUSE backend. */
@JCStressTest
@Description("close racing ctl on one FUSE vpoll fd: each ctl completes or sees a closed fd")
@Outcome(id = "5, 1, 0", expect = ACCEPTABLE, desc = "ADD, DEL, close")
@Outcome(id = "5, -1, 0", expect = ACCEPTABLE, desc = "ADD, close, DEL")
@Outcome(id = "-1, -1, 0", expect = ACCEPTABLE, desc = "close, ADD, DEL")
@State
public class CloseRacingCtlFuse extends CloseRacingCtl {
    public CloseRacingCtlFuse() {
        super(Backend.FUSE);
    }
}
