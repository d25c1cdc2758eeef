package org.jvpoll.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;

/** The matrix's own rules: how limits, skips and failures become cells, and the table round trip. */
class MatrixMachineryTest {

    private static Map<String, Matrix.Cell> runOne(Backend backend, String id, Matrix.Body body) {
        return Matrix.run(backend, List.of(new Matrix.Scenario(id, "test " + id, body)), false);
    }

    @Test
    void aFailureUnderADeclaredLimitIsNotSupportedByDesign() {
        Matrix.Cell c = runOne(Backend.EMULATION_TCP, "events.poll.HUP", s -> {
            throw new AssertionError("HUP stays");
        }).get("events.poll.HUP");
        assertEquals("not supported by design (E1)", c.outcome());
        assertTrue(!c.failed());
    }

    @Test
    void aPassUnderADeclaredLimitFailsTheCellSoStaleLimitsGo() {
        Matrix.Cell c = runOne(Backend.EMULATION_TCP, "events.poll.HUP", s -> { }).get("events.poll.HUP");
        assertTrue(c.failed());
        assertTrue(c.detail().contains("remove it from DesignLimits"), c.detail());
    }

    @Test
    void anUnexpectedExceptionUnderALimitStillFails() {
        Matrix.Cell c = runOne(Backend.EMULATION_TCP, "events.poll.HUP", s -> {
            throw new IllegalStateException("a bug, not the limit");
        }).get("events.poll.HUP");
        assertTrue(c.failed(), c.outcome());
    }

    @Test
    void limitsBindOnlyTheirBackend() {
        assertNotNull(DesignLimits.find(Backend.EMULATION_TCP, "events.select.RDHUP"));
        assertNull(DesignLimits.find(Backend.FUSE, "events.select.RDHUP"));
        assertNull(DesignLimits.find(Backend.EMULATION_TCP, "events.select.IN"));
        Matrix.Cell c = runOne(Backend.FUSE, "events.poll.HUP", s -> {
            throw new AssertionError("no excuse here");
        }).get("events.poll.HUP");
        assertTrue(c.failed());
    }

    @Test
    void aMissingFacilityIsSkippedWithItsReason() {
        Matrix.Cell c = runOne(Backend.FUSE, "io_uring.poll-add", s -> {
            throw new Matrix.Skip("io_uring_setup: Operation not permitted");
        }).get("io_uring.poll-add");
        assertEquals("skipped", c.outcome());
        assertEquals("io_uring_setup: Operation not permitted", c.detail());
    }

    @Test
    void everyLimitCoversAtLeastOneScenarioAndIdsAreUnique() {
        List<Matrix.Scenario> all = Scenarios.all();
        Set<String> ids = new HashSet<>();
        for (Matrix.Scenario s : all) {
            assertTrue(ids.add(s.id()), "duplicate scenario id " + s.id());
        }
        for (DesignLimits.Limit l : DesignLimits.LIMITS) {
            assertTrue(all.stream().anyMatch(s -> l.scenarios().test(s.id())), "limit " + l.id() + " covers no scenario");
        }
    }

    @Test
    void theRenderedTableParsesBackToItsCells() {
        List<Matrix.Scenario> all = Scenarios.all();
        Map<String, String> col = new LinkedHashMap<>();
        col.put(ConformanceDocs.KERNEL_ROW, "Linux 1.2.3");
        for (Matrix.Scenario s : all) {
            col.put(s.id(), s.id().hashCode() % 2 == 0 ? "pass" : "not supported by design (E1)");
        }
        String text = ConformanceDocs.BEGIN + "\n" + ConformanceDocs.render(all, Map.of("fuse", col)) + ConformanceDocs.END;
        Map<String, Map<String, String>> parsed = ConformanceDocs.parse(text);
        assertEquals(col, parsed.get("fuse"));
        assertEquals(ConformanceDocs.NOT_AVAILABLE, parsed.get("emulation").get(all.get(0).id()));
    }
}
