package org.jvpoll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The parsing and report code of bin/bench, on made-up figures (no timing is measured here). */
class ReportTest {

    @Test
    void parsesResultLinesAndSkipsOthers() {
        Result r = Result.parse("RESULT\tctl.add\tc-libvpoll\t0\t983.969");
        assertEquals(new Result("ctl.add", "c-libvpoll", 0, 983.969), r);
        assertEquals(r, Result.parse(r.line()));
        assertNull(Result.parse("INFO\tlibvpoll-mode\temulation (socketpair)"));
    }

    @Test
    void badResultLinesSayWhatIsWrong() {
        IllegalArgumentException fields = assertThrows(IllegalArgumentException.class,
                () -> Result.parse("RESULT\tctl.add\tc-libvpoll\t983.969"));
        assertTrue(fields.getMessage().contains("4 fields, expected 5"), fields.getMessage());
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> Result.parse("RESULT\tfanout\tc-eventfd\tN\t1"));
        assertTrue(number.getMessage().contains("bad number"), number.getMessage());
    }

    @Test
    void parsesCbenchSampleLines() {
        double[] v = CBench.samples("SAMPLES\twake.thread\tc-libvpoll\t17.901,17.772,56.480");
        assertEquals(3, v.length);
        assertEquals(56.48, v[2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CBench.samples("RESULT\tctl.add\tc-libvpoll\t0\t1"));
        assertTrue(e.getMessage().contains("expected SAMPLES"), e.getMessage());
    }

    @Test
    void mediansAreTakenPerFigureOverRounds() {
        List<Result> rounds = List.of(new Result("fanout", "c-eventfd", 1000, 3),
                new Result("fanout", "c-eventfd", 1000, 1), new Result("fanout", "c-eventfd", 1000, 2),
                new Result("fanout", "c-eventfd", 9000, 5), new Result("fanout", "c-eventfd", 9000, 7));
        Map<Result.Key, Double> m = Result.medians(rounds);
        assertEquals(2.0, m.get(new Result.Key("fanout", "c-eventfd", 1000)));
        assertEquals(6.0, m.get(new Result.Key("fanout", "c-eventfd", 9000)));
    }

    @Test
    void formatsValuesForTablesAndPlots() {
        assertEquals("1.13", Svg.format(1.13));
        assertEquals("983", Svg.format(983.4));
        assertEquals("196k", Svg.format(196_000));
        assertEquals("1.04M", Svg.format(1_040_000));
        assertEquals(2000.0, Svg.niceCeiling(1654));
        assertEquals(1.0, Svg.niceCeiling(1.0));
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot;", Svg.escape("a <b> & \"c\""));
    }

    @Test
    void plotIsWellFormedSvgWithOneBarPerFigure() throws Exception {
        String svg = Svg.groupedBars("t <1>", "ns", List.of("add", "del"), List.of("c-libvpoll", "jvpoll-emulation"),
                new double[][] {{980, 920}, {1000, Double.NaN}});
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        // background + 3 bars + 2 legend swatches
        assertEquals(6, doc.getElementsByTagName("rect").getLength());
        assertThrows(IllegalArgumentException.class, () -> Svg.groupedBars("t", "ns", List.of("add"), List.of("a"),
                new double[][] {{1, 2}}));
    }

    @Test
    void reportComputesRatiosAndVerdictsFromOneRun() {
        List<Result> r = new ArrayList<>();
        for (String[] row : new String[][] {{"c-eventfd", "280"}, {"c-libvpoll", "1130"}, {"jvpoll-emulation", "900"},
                {"c-replay-jvpoll-emulation", "750"}}) {
            for (String metric : Report.CTL_METRICS) {
                r.add(new Result(metric, row[0], 0, Double.parseDouble(row[1])));
            }
        }
        r.add(new Result("fanout", "c-libvpoll", 1000, 196_000));
        r.add(new Result("fanout", "jvpoll-emulation", 1000, 392_000));
        r.add(new Result("fanout", "c-eventfd", 1000, 863_000));
        r.add(new Result("create", "c-libvpoll", 1000, 19));
        r.add(new Result("create", "jvpoll-emulation", 1000, 38));
        r.add(new Result("create", "c-eventfd", 1000, 3.1));
        Report report = new Report(Result.medians(r));
        String md = report.markdown(new Report.Context("bin/bench --quick", "test machine", "emulation (socketpair)",
                "1000 2 2", "1 1 1", "20000", ""));
        assertTrue(md.contains("| jvpoll-emulation / c-libvpoll | 0.80 | 0.80 | 0.80 | 0.80 | ≤ 0.8 | met |"), md);
        assertTrue(md.contains("| jvpoll-emulation / c-replay (jvpoll's overhead over its syscalls made from C) | 1.20 | 1.20 | 1.20 | 1.20 | ≤ 1.1 | **missed** |"), md);
        assertTrue(md.contains("| 1,000 | 863k | 196k | 392k | 2.00 met |"), md);
        assertTrue(md.contains("create + register, N = 1,000: 2.00 (target ≤ 0.8: **missed**)"), md);
        r.add(new Result("create", "c-libvpoll", 9000, 20));
        r.add(new Result("create", "jvpoll-emulation", 9000, 15));
        String nine = new Report(Result.medians(r)).markdown(new Report.Context("bin/bench", "test machine",
                "emulation (socketpair)", "0 0 0", "0 0 0", "20000", ""));
        assertTrue(nine.contains("create + register, N = 9,000: 0.75 (target ≤ 0.8: met)"), nine);
        assertTrue(md.contains("Rerun: `bin/bench`"), md);
        assertTrue(md.contains("**Measured under load**"), md); // a load of 1000 before the run (the load after it is the run's own)
        String quiet = report.markdown(new Report.Context("bin/bench --quick", "test machine", "emulation (socketpair)",
                "0.5 0.5 0.5", "1000 2 2", "20000", ""));
        assertTrue(!quiet.contains("**Measured under load**"), "the load a run leaves behind is its own");
        assertTrue(Report.loaded("99 1 1"));
        assertTrue(!Report.loaded("0.00 1 1"));
        assertTrue(!Report.loaded("unknown"));
        assertEquals(List.of("ctl.svg", "wakeup.svg", "wakeup-p99.svg", "fanout.svg", "create.svg"), List.copyOf(report.plots.keySet()));
    }

    @Test
    void batchedFanoutRowsGiveTheVerdictAgainstCEventfd() {
        List<Result> r = new ArrayList<>();
        r.add(new Result("fanout", "c-eventfd", 1000, 300_000));
        r.add(new Result("fanout", "jvpoll-emulation", 1000, 150_000));
        r.add(new Result("fanout-batch", "jvpoll-emulation", 1000, 660_000));
        r.add(new Result("fanout-batch", Harness.EMULATION_BATCH_SEQUENTIAL, 1000, 140_000));
        r.add(new Result("fanout", "c-eventfd", 9000, 200_000));
        r.add(new Result("fanout", "jvpoll-emulation", 9000, 100_000));
        r.add(new Result("fanout-batch", "jvpoll-emulation", 9000, 300_000));
        r.add(new Result("fanout-batch", Harness.EMULATION_BATCH_SEQUENTIAL, 9000, 90_000));
        StringBuilder sb = new StringBuilder();
        new Report(Result.medians(r)).batchedFanout(sb);
        String md = sb.toString();
        assertTrue(md.contains("generating thousands of events requires a system call each"), md);
        assertTrue(md.contains("| 1,000 | 300k | 150k | 660k | 140k | 2.20 met | 4.40 | 0.47 |"), md);
        assertTrue(md.contains("| 9,000 | 200k | 100k | 300k | 90k | 1.50 **missed** | 3.00 | 0.45 |"), md);
        assertFalse(md.contains("OUT changes of the emulation (SO_SNDBUF"), "no batch-out figures, no OUT sentence");
        r.add(new Result("batch-out", "jvpoll-emulation", 64, 300));
        r.add(new Result("batch-out", Harness.EMULATION_BATCH_SEQUENTIAL, 64, 600));
        StringBuilder out = new StringBuilder();
        new Report(Result.medians(r)).batchedFanout(out);
        assertTrue(out.toString().contains("cost 300 ns per change through io_uring and 600 ns on the forced"
                + " one-call-per-change path, a ratio of 0.50"), out.toString());
        StringBuilder none = new StringBuilder();
        new Report(Result.medians(List.of(new Result("fanout", "c-eventfd", 1000, 1)))).batchedFanout(none);
        assertEquals("", none.toString(), "no batched figures, no section");
    }
}
