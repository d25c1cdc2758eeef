package org.jvpoll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;

/** A short run of bin/bench-fuse's harness, and its argument checks. */
class BackendBenchTest {
    @Test
    void benchPrintsATableAgainstTheEventfdBaseline() throws IOException, InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = BackendBench.run(new String[] {"--millis", "10", "--wakeups", "100", "--rounds", "1"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("| eventfd (baseline) |"), text);
        String baseline = text.lines().filter(l -> l.startsWith("| eventfd (baseline)")).findFirst().orElseThrow();
        long ones = java.util.Arrays.stream(baseline.split("\\|")).map(String::trim).filter("1.00"::equals).count();
        assertEquals(4, ones, "the baseline's four ratios are 1.00: " + baseline);
        assertTrue(text.contains("| emulation |"), text);
        if (Backend.FUSE.isAvailable()) {
            assertTrue(text.contains("| fuse |") && text.contains("ioctl per change"), text);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendBench.run(new String[] {"--rounds", "0"}, out));
        assertTrue(e.getMessage().contains("--rounds >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackendBench.run(new String[] {"--rounds"}, out));
        assertTrue(e.getMessage().contains("--rounds needs a value"), e.getMessage());
    }
}
