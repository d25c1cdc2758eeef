package org.jvpoll.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.cli.Fidelity;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Skip;

/**
 * In a qemu guest: measures the fidelity table of the guest's kernel backend and prints it on the
 * console (VM-FIDELITY lines), from which bin/vm-test writes docs/fidelity.md.
 */
class KernelFidelityTest {
    @Test
    void kernelBackendHoldsEveryNamedEventExactly() throws IOException {
        String required = BackendSelection.required();
        if (required == null) {
            throw Skip.because("KernelFidelityTest: no -D" + BackendSelection.REQUIRED + " (set by the qemu guests in vm/)");
        }
        Backend backend = Backend.fromId(required);
        List<Fidelity.Row> rows = Fidelity.measure(backend);
        assertEquals(Events.namedBits().length, rows.size());
        for (Fidelity.Row r : rows) {
            assertTrue(r.faithful(), Events.name(r.event()) + ": ctl and poll(2) agree");
            assertEquals("yes", r.set(), Events.name(r.event()) + " is set exactly");
            assertEquals("yes", r.clear(), Events.name(r.event()) + " is cleared exactly");
        }
        System.out.println("VM-FIDELITY-KERNEL Linux " + System.getProperty("os.version"));
        for (String line : Fidelity.markdown(rows).split("\n")) {
            System.out.println("VM-FIDELITY " + line);
        }
    }
}
