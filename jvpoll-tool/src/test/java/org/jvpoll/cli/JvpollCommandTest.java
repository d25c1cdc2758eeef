package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.testing.Skip;

class JvpollCommandTest {

    static String run(int expectedRc, String... args) throws IOException {
        return runBoth(expectedRc, args)[0];
    }

    /** @return standard output and standard error */
    static String[] runBoth(int expectedRc, String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = JvpollCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(expectedRc, rc, text + err.toString(StandardCharsets.UTF_8));
        return new String[] {text, err.toString(StandardCharsets.UTF_8)};
    }

    /** Runs with -Djvpoll.backend set to {@code value} (null: unset), restoring it afterwards. */
    static String[] runWithProperty(String value, int expectedRc, String... args) throws IOException {
        String old = System.getProperty(Backend.PROPERTY);
        try {
            if (value == null) {
                System.clearProperty(Backend.PROPERTY);
            } else {
                System.setProperty(Backend.PROPERTY, value);
            }
            return runBoth(expectedRc, args);
        } finally {
            if (old == null) {
                System.clearProperty(Backend.PROPERTY);
            } else {
                System.setProperty(Backend.PROPERTY, old);
            }
        }
    }

    /** A backend missing on this machine (eventfd, unless the kernel has EFD_VPOLL), or null. */
    static Backend missingBackend() {
        for (Backend b : new Backend[] {Backend.EVENTFD, Backend.DEV_VPOLL}) {
            if (!b.isAvailable()) {
                return b;
            }
        }
        return null;
    }

    @Test
    void infoReportsAForcedButMissingBackendAndFails() throws IOException {
        Backend missing = missingBackend();
        Skip.unless(missing != null, "info with a forced-but-missing backend: every kernel backend is available here");
        String[] byOption = runWithProperty(null, 1, "info", "--backend", missing.id());
        assertTrue(byOption[0].contains("chosen: none: " + missing.id() + " is forced by --backend but missing here"), byOption[0]);
        assertTrue(byOption[1].contains("the forced backend " + missing.id() + " is missing: " + missing.availability()), byOption[1]);
        assertFalse(byOption[0].contains("fidelity of"), "nothing is measured: " + byOption[0]);
        String[] byProperty = runWithProperty(missing.id(), 1, "info");
        assertTrue(byProperty[0].contains("chosen: none: " + missing.id() + " is forced by -Djvpoll.backend but missing here"),
                byProperty[0]);
        assertTrue(byProperty[1].contains("the forced backend " + missing.id() + " is missing"), byProperty[1]);
    }

    @Test
    void infoTreatsTheOptionAndThePropertyAlikeAndEmptyAsAutomatic() throws IOException {
        String byOption = runWithProperty(null, 0, "info", "--backend", "emulation")[0];
        String byProperty = runWithProperty("emulation", 0, "info")[0];
        assertTrue(byOption.contains("chosen: emulation (forced by --backend)"), byOption);
        assertTrue(byProperty.contains("chosen: emulation (forced by -Djvpoll.backend)"), byProperty);
        for (String text : new String[] {byOption, byProperty}) {
            assertEquals(1, text.lines().filter(l -> l.startsWith("fidelity of")).count(), "only the forced one is measured: " + text);
            assertTrue(text.contains("fidelity of emulation "), text);
        }
        String automatic = runWithProperty(null, 0, "info")[0];
        String emptyProperty = runWithProperty("", 0, "info")[0];
        String emptyOption = runWithProperty(null, 0, "info", "--backend", "")[0];
        String chosen = "chosen: " + Backend.preferred().id() + " (automatic: the first available)";
        for (String text : new String[] {automatic, emptyProperty, emptyOption}) {
            assertTrue(text.contains(chosen), text);
            assertFalse(text.contains("forced"), text);
        }
    }

    @Test
    void fidelityCellsSayWhatCannotBeDone() throws IOException {
        String text = runWithProperty(null, 0, "info", "--backend", "emulation")[0];
        assertTrue(text.contains("| PRI | 0x2 | no: cannot produce these events"), text);
        assertFalse(text.contains("| no: produce"), text);
    }

    @Test
    void versionAndPerCommandHelp() throws IOException {
        assertTrue(run(0, "--version").matches("jvpoll \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(JDK .*\\)\\R"), run(0, "--version"));
        assertTrue(run(0, "info", "--help").startsWith("usage: jvpoll info [--backend"), "info --help");
        assertTrue(run(0, "demo", "--help").startsWith("usage: jvpoll demo ") && run(0, "demo", "-h").contains("--delay-ms N"));
        assertTrue(run(0, "serve", "--help").startsWith("usage: jvpoll serve [PATH]"), "serve --help");
        assertEquals(run(0, "demo", "--help"), run(0, "help", "demo"));
        String all = run(0, "help");
        assertTrue(all.contains("jvpoll COMMAND --help, jvpoll --version"), all);
    }

    @Test
    void demoDelayIsCheckedUpfrontNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(2, "demo", "--delay-ms", "abc"));
        assertEquals("--delay-ms abc: not a whole number (expected 1 to 60000)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(2, "demo", "--delay-ms", "-5"));
        assertEquals("--delay-ms -5: out of range (expected 1 to 60000)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(2, "info", "--delay-ms", "5"));
        assertTrue(e.getMessage().contains("info: unknown option --delay-ms"), e.getMessage());
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
        assertEquals("GOT event 1 (IN)\nGOT event 1 (IN)\nGOT event 3 (IN|PRI)\nGOT event 2 (PRI)\nGOT event 4 (OUT)\n"
                + "GOT event 2015 (IN|OUT|HUP|RDHUP)\n", got);
        assertTrue(text.contains("OK: the events match"), text);
        assertTrue(text.contains("(no event in 60 ms, waiting again)"),
                "the waiter times out between events, as in the C demo, and says it is waiting: " + text);
        assertFalse(text.contains("timeout"), "nothing reads like a failure: " + text);
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
