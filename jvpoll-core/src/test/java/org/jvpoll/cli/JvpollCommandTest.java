package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;

class JvpollCommandTest {

    static String run(int expectedRc, String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = JvpollCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(expectedRc, rc, text + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    @Test
    void infoListsBackendsTheChoiceAndAMeasuredTable() throws IOException {
        String text = run(0, "info");
        for (Backend b : Backend.values()) {
            assertTrue(text.contains(b.id()), text);
        }
        assertTrue(text.contains("chosen: " + Backend.preferred().id()), text);
        assertTrue(text.contains("| PRI | 0x2 | yes | yes |"), text);
        assertTrue(text.contains("EFD_VPOLL") || Backend.EVENTFD.isAvailable(), "says why eventfd is missing");
    }

    @Test
    void demoReproducesLibvpollsOutputOnTheEmulation() throws IOException {
        String text = run(0, "demo", "--backend", "emulation-tcp", "--delay-ms", "120");
        String got = text.lines().filter(l -> l.startsWith("GOT event")).reduce("", (a, l) -> a + l + "\n");
        assertEquals("GOT event 1\nGOT event 1\nGOT event 3\nGOT event 2\nGOT event 4\nGOT event 2015\n", got);
        assertTrue(text.contains("OK: the events match"), text);
        assertTrue(text.contains("timeout..."), "the waiter times out between events, as in the C demo");
    }

    @Test
    void badCommandLinesAreExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(2, "frobnicate"));
        assertTrue(e.getMessage().contains("frobnicate"));
        e = assertThrows(IllegalArgumentException.class, () -> run(2, "info", "--backend", "kqueue"));
        assertTrue(e.getMessage().contains("kqueue"));
        e = assertThrows(IllegalArgumentException.class, () -> run(2, "demo", "--backend"));
        assertTrue(e.getMessage().contains("--backend needs a value"));
    }

    @Test
    void forcingAMissingBackendFailsClearly() {
        if (Backend.DEV_VPOLL.isAvailable()) {
            return; // nothing to show where the module is loaded; the encoding tests cover the path
        }
        org.jvpoll.BackendUnavailableException e = assertThrows(org.jvpoll.BackendUnavailableException.class,
                () -> run(1, "demo", "--backend", "dev-vpoll", "--delay-ms", "10"));
        assertTrue(e.getMessage().contains("/dev/vpoll"), e.getMessage());
        assertEquals(Backend.DEV_VPOLL, e.backend());
        assertEquals(org.jvpoll.Errno.ENOENT, e.errno(), "the probe's errno travels with the exception");
    }
}
