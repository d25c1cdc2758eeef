package org.jvpoll.backend;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.NVAL;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDBAND;
import static org.jvpoll.Events.RDHUP;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRNORM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollOp;

/** The emulation's request planning: which transitions TCP can make, decided before any syscall. */
class TcpEmulationPlanTest {

    static UnsupportedEventsException refused(int from, VpollOp op, int events) {
        return assertThrows(UnsupportedEventsException.class, () -> EmulationPlan.TCP.plan(from, op, events));
    }

    @Test
    void closureAddsWhatTheKernelReportsAlongside() {
        assertEquals(IN | RDNORM, EmulationPlan.TCP.closure(IN));
        assertEquals(OUT | WRNORM, EmulationPlan.TCP.closure(OUT));
        assertEquals(RDHUP | IN | RDNORM, EmulationPlan.TCP.closure(RDHUP));
        assertEquals(HUP | RDHUP | IN | RDNORM | OUT | WRNORM, EmulationPlan.TCP.closure(HUP));
        assertEquals(PRI | ERR, EmulationPlan.TCP.closure(PRI | ERR));
    }

    @Test
    void plainChanges() {
        assertEquals(IN | PRI, EmulationPlan.TCP.plan(IN, VpollOp.ADD, PRI));
        assertEquals(PRI, EmulationPlan.TCP.plan(IN | PRI, VpollOp.DELETE, IN));
        assertEquals(PRI, EmulationPlan.TCP.plan(IN | PRI, VpollOp.DELETE, IN | RDNORM));
        assertEquals(OUT, EmulationPlan.TCP.plan(IN, VpollOp.SET, OUT | WRNORM));
        assertEquals(IN, EmulationPlan.TCP.plan(0, VpollOp.ADD, IN | RDNORM));
        assertEquals(HUP | RDHUP | IN | OUT, EmulationPlan.TCP.plan(0, VpollOp.ADD, HUP));
        assertEquals(OUT | ERR, EmulationPlan.TCP.plan(OUT, VpollOp.ADD, ERR));
        assertEquals(OUT | ERR, EmulationPlan.TCP.plan(0, VpollOp.ADD, OUT | ERR), "OUT raised in the same call");
        assertEquals(0, EmulationPlan.TCP.plan(IN, VpollOp.DELETE, NVAL | IN), "deleting a bit that is clear is exact");
    }

    @Test
    void unsupportedBitsAreNamed() {
        UnsupportedEventsException e = refused(0, VpollOp.ADD, IN | NVAL | RDBAND);
        assertEquals(NVAL | RDBAND, e.events());
        assertEquals(Backend.EMULATION_TCP, e.backend());
        assertTrue(e.getMessage().contains("NVAL|RDBAND"), e.getMessage());
        assertEquals(1 << 20, refused(0, VpollOp.SET, 1 << 20).events());
    }

    @Test
    void companionsNeedTheirPrimary() {
        assertEquals(RDNORM, refused(0, VpollOp.ADD, RDNORM).events());
        assertEquals(WRNORM, refused(IN, VpollOp.SET, IN | WRNORM).events());
        assertEquals(RDNORM, refused(IN, VpollOp.DELETE, RDNORM).events(), "RDNORM stays while IN does");
    }

    @Test
    void shutdownsAreTerminalAndForceTheirImpliedBits() {
        int hup = HUP | RDHUP | IN | OUT;
        assertEquals(HUP, refused(hup, VpollOp.DELETE, HUP).events() & HUP);
        assertEquals(RDHUP, refused(RDHUP | IN, VpollOp.DELETE, RDHUP).events());
        assertEquals(IN, refused(RDHUP | IN, VpollOp.DELETE, IN).events() & IN);
        assertEquals(OUT, refused(hup, VpollOp.DELETE, OUT).events() & OUT);
        assertTrue((refused(hup, VpollOp.SET, 0).events() & HUP) != 0);
    }

    @Test
    void transitionsTcpCannotMake() {
        UnsupportedEventsException e = refused(0, VpollOp.ADD, ERR);
        assertEquals(ERR, e.events());
        assertTrue(e.getMessage().contains("OUT"), e.getMessage());
        assertEquals(ERR, refused(HUP | RDHUP | IN | OUT, VpollOp.ADD, ERR).events());
        assertEquals(PRI, refused(RDHUP | IN, VpollOp.ADD, PRI).events());
    }
}
