package org.jvpoll.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Probe;

/**
 * The conformance matrix: every scenario of {@link Scenarios} against every backend this JVM has
 * (emulation and fuse here; dev-vpoll over a FUSE-served file in the dev-vpoll-over-fuse
 * execution; eventfd and dev-vpoll in the qemu guests). Fails if a cell fails, or if
 * docs/conformance.md does not show what this run measured; regenerate with bin/gen-docs.
 */
class ConformanceMatrixTest {

    @Test
    void everyBackendHereAgainstEveryScenario() throws Exception {
        runAndPublish();
    }

    /** @return the open descriptor count, once it is back to {@code expected} or after 5 s (FUSE releases asynchronously) */
    private static int awaitFdCount(int expected) throws InterruptedException {
        int now = Probe.openFdCount();
        for (int i = 0; i < 50 && now != expected; i++) {
            Thread.sleep(100);
            now = Probe.openFdCount();
        }
        return now;
    }

    @SuppressWarnings("try") // the held fd is never referenced: holding it is the point
    static void runAndPublish() throws Exception {
        String only = System.getProperty(BackendSelection.ONLY);
        List<Matrix.Scenario> scenarios = Scenarios.all();
        Map<String, Map<String, String>> measured = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Backend b : Backend.values()) {
            String column = Matrix.columnFor(b);
            if (BackendSelection.required() != null && !b.id().equals(BackendSelection.required())) {
                continue; // a qemu guest measures the backend it was built for; the host has the others
            }
            if (!BackendSelection.covers(b)) {
                System.out.println("conformance: " + column + " runs in another execution (this one covers " + only + ")");
                continue;
            }
            if (!b.isAvailable()) {
                System.out.println("conformance: " + column + " " + ConformanceDocs.NOT_AVAILABLE + ": " + b.availability());
                if (b.id().equals(BackendSelection.required())) {
                    failures.add("required by -D" + BackendSelection.REQUIRED + " but not available: " + b.availability());
                }
                continue;
            }
            Map<String, Matrix.Cell> cells;
            // One fd of the backend held across the count, so that what a backend creates once per
            // process on first use (the emulation's loopback listener, the FUSE mount) is not counted
            // as left open: a JVM whose first vpoll fd is the matrix's (a qemu guest) otherwise sees it.
            try (VpollFd hold = VpollFd.create(0, VpollFd.Options.DEFAULT.backend(b))) {
                int fdsBefore = Probe.openFdCount();
                cells = Matrix.run(b, scenarios);
                int fdsAfter = awaitFdCount(fdsBefore);
                if (fdsAfter != fdsBefore) {
                    failures.add(column + ": the scenarios left " + (fdsAfter - fdsBefore) + " descriptors open");
                }
            }
            Matrix.writeResults(column, cells);
            measured.put(column, ConformanceDocs.column(cells));
            failures.addAll(Matrix.failures(column, cells));
        }
        assertTrue(failures.isEmpty(), "failing conformance cells:\n" + String.join("\n", failures));
        assertTrue(!measured.isEmpty(), "no backend available (emulation always is)");
        if (BackendSelection.required() != null) {
            System.out.println("conformance: qemu guest run; its columns are merged on the host (ConformanceDocs main)");
            return;
        }
        List<String> stale = ConformanceDocs.publish(scenarios, measured);
        assertTrue(stale.isEmpty(), ConformanceDocs.doc() + " is stale: run bin/gen-docs and commit the result\n"
                + String.join("\n", stale));
    }
}
