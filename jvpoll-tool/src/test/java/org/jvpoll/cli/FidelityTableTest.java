package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;

/**
 * Measures the fidelity tables of the user-space backends (emulation, FUSE) on this kernel,
 * checks their facts, and keeps docs/fidelity.md in step: each generated block there must equal
 * this run's table. Regenerate with {@code bin/gen-docs}.
 */
class FidelityTableTest {
    static final String BEGIN = "<!-- BEGIN GENERATED: emulation fidelity table (bin/gen-docs) -->";
    static final String TCP_BEGIN = "<!-- BEGIN GENERATED: emulation-tcp fidelity table (bin/gen-docs) -->";
    static final String FUSE_BEGIN = "<!-- BEGIN GENERATED: fuse fidelity table (bin/gen-docs) -->";
    static final String END = "<!-- END GENERATED -->";

    @Test
    void fuseTableIsMeasuredAndPublished() throws IOException {
        org.jvpoll.testing.FuseSupport.requireRootFuse();
        List<Fidelity.Row> rows = Fidelity.measure(Backend.FUSE);
        for (Fidelity.Row r : rows) {
            assertTrue(r.faithful(), "ctl's answer and poll(2) agree for " + Events.name(r.event()));
            assertEquals("yes", r.set(), Events.name(r.event()) + " is set exactly, alone");
            assertEquals("yes", r.clear(), Events.name(r.event()) + " is cleared");
        }
        assertEquals(Events.namedBits().length, rows.size());
        publish(FUSE_BEGIN, Fidelity.markdown(rows), "fuse");
    }

    @Test
    void socketPairEmulationTableIsMeasuredAndPublished() throws IOException {
        List<Fidelity.Row> rows = Fidelity.measure(Backend.EMULATION);
        Map<String, Fidelity.Row> byName = new TreeMap<>();
        for (Fidelity.Row r : rows) {
            assertTrue(r.faithful(), "ctl's answer and poll(2) agree for " + Events.name(r.event()));
            byName.put(Events.name(r.event()), r);
        }
        for (String reversible : new String[] {"IN", "OUT"}) {
            assertTrue(byName.get(reversible).set().startsWith("yes"), reversible + " can be set");
            assertEquals("yes", byName.get(reversible).clear(), reversible + " can be cleared");
        }
        assertEquals("yes, also WRNORM|WRBAND", byName.get("OUT").set(), "unix_poll reports OUT with both companions");
        assertTrue(byName.get("ERR").set().contains("only together with HUP"), byName.get("ERR").set());
        assertEquals("yes", byName.get("ERR").clear(), "SO_ERROR clears ERR after the reset");
        for (String terminal : new String[] {"HUP", "RDHUP"}) {
            assertTrue(byName.get(terminal).set().startsWith("yes"), terminal + " can be set");
            assertTrue(byName.get(terminal).clear().startsWith("no"), terminal + " is terminal");
        }
        assertEquals("yes, also IN|RDNORM|RDHUP", byName.get("HUP").set(), "HUP does not force OUT on a socket pair");
        for (String impossible : new String[] {"PRI", "NVAL", "RDBAND", "WRBAND", "MSG"}) {
            assertTrue(byName.get(impossible).set().startsWith("no"), impossible + " is refused");
        }
        publish(BEGIN, Fidelity.markdown(rows), "emulation");
    }

    @Test
    void tcpEmulationTableIsMeasuredAndPublished() throws IOException {
        List<Fidelity.Row> rows = Fidelity.measure(Backend.EMULATION_TCP);
        Map<String, Fidelity.Row> byName = new TreeMap<>();
        for (Fidelity.Row r : rows) {
            assertTrue(r.faithful(), "ctl's answer and poll(2) agree for " + Events.name(r.event()));
            byName.put(Events.name(r.event()), r);
        }
        for (String reversible : new String[] {"IN", "PRI", "OUT", "ERR"}) {
            assertTrue(byName.get(reversible).set().startsWith("yes"), reversible + " can be set");
            assertEquals("yes", byName.get(reversible).clear(), reversible + " can be cleared");
        }
        assertEquals("yes", byName.get("PRI").set(), "PRI alone, without IN (TCP urgent data)");
        for (String terminal : new String[] {"HUP", "RDHUP"}) {
            assertTrue(byName.get(terminal).set().startsWith("yes"), terminal + " can be set");
            assertTrue(byName.get(terminal).clear().startsWith("no"), terminal + " is terminal");
        }
        for (String impossible : new String[] {"NVAL", "RDBAND", "WRBAND", "MSG"}) {
            assertTrue(byName.get(impossible).set().startsWith("no"), impossible + " is refused");
        }

        publish(TCP_BEGIN, Fidelity.markdown(rows), "emulation-tcp");
    }

    /** Writes (bin/gen-docs) or checks the block that starts with {@code begin}. */
    static void publish(String begin, String table, String what) throws IOException {
        Path doc = Path.of(System.getProperty("jvpoll.docs.dir", "../docs"), "fidelity.md");
        String text = Files.readString(doc);
        int b = text.indexOf(begin);
        int e = text.indexOf(END, Math.max(b, 0));
        assertTrue(b >= 0 && e > b, doc + " has the generated-block markers");
        String measuredLine = "Measured by `FidelityTableTest` on Linux " + System.getProperty("os.version") + ".\n\n";
        if (Boolean.getBoolean("jvpoll.docs.write")) {
            String updated = text.substring(0, b + begin.length()) + "\n" + measuredLine + table + text.substring(e);
            Files.writeString(doc, updated);
            System.out.println("wrote the " + what + " fidelity table to " + doc);
            return;
        }
        String published = text.substring(b + begin.length(), e);
        String publishedTable = published.substring(published.indexOf("| event"));
        assertEquals(table, publishedTable, doc + " is stale: run bin/gen-docs and commit the result");
    }
}
