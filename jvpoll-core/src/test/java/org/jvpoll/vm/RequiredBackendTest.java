package org.jvpoll.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Skip;

/**
 * In a qemu guest built for one backend, that backend must be the one serving vpoll fds: a silent
 * fallback to the emulation must fail the run. On other machines (no property) it skips, saying so.
 */
class RequiredBackendTest {
    @Test
    void theRequiredBackendIsAvailableAndPreferred() throws IOException {
        String required = BackendSelection.required();
        if (required == null) {
            throw Skip.because("RequiredBackendTest: no -D" + BackendSelection.REQUIRED
                    + " (set by the qemu guests in vm/)");
        }
        Backend backend = Backend.fromId(required);
        assertTrue(backend.isAvailable(), backend.id() + ": " + backend.availability());
        assertEquals(backend, Backend.preferred(), "automatic selection picks the kernel facility");
        try (VpollFd vfd = VpollFd.create(Events.IN | Events.NVAL | (1 << 20))) {
            assertEquals(backend, vfd.backend());
            assertEquals(Events.IN | Events.NVAL | (1 << 20), vfd.events(), "a kernel backend holds any bit");
            System.out.println("VM-BACKEND " + backend.id() + " serves fd " + vfd.fd() + " on Linux "
                    + System.getProperty("os.version"));
        }
    }
}
