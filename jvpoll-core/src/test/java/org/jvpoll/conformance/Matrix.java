package org.jvpoll.conformance;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jvpoll.Backend;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;

/** Runs every scenario against one backend and records one cell per scenario. */
final class Matrix {
    private Matrix() {}

    /** Thrown by a scenario whose facility this machine lacks (io_uring disabled, no python3). */
    static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skip(String reason) {
            super(reason);
        }
    }

    /** The body of a scenario, run against one backend. */
    interface Body {
        void run(Subject s) throws Exception;
    }

    record Scenario(String id, String title, Body body) {}

    /** What a scenario gets: the backend under test and how to make vpoll fds on it. */
    record Subject(Backend backend) {
        VpollFd.Options options() {
            return VpollFd.Options.DEFAULT.backend(backend);
        }

        VpollFd create(int initialEvents) throws IOException {
            return VpollFd.create(initialEvents, options());
        }

        /**
         * @return a second event, besides IN, that the backend sets and clears on its own: PRI,
         *         or OUT on the socket-pair emulation (which has no PRI)
         */
        int other() {
            return org.jvpoll.testing.Emulations.other(backend);
        }

        /** @return the C client's ctl kind for this backend's fds */
        String ctlKind() {
            return backend == Backend.EVENTFD ? "eventfd" : "ioctl";
        }
    }

    /** One measured cell. */
    record Cell(String scenario, String outcome, String detail) {
        static final String PASS = "pass";
        static final String FAIL = "FAIL";

        boolean failed() {
            return outcome.startsWith(FAIL);
        }
    }

    /**
     * A column of the published table: a backend, and where its device came from. dev-vpoll over a
     * FUSE-served file and the qemu guests' real kernel backends are distinct columns.
     */
    static String columnFor(Backend backend) {
        if (BackendSelection.required() != null) {
            // -Djvpoll.vm.guest=6.12 names the guest kernel where one backend is measured on several
            // (vm/*-guest.sh); the first guest columns predate it and say "qemu guest".
            String guest = System.getProperty(GUEST_PROPERTY);
            return backend.id() + " (" + (guest == null || guest.isBlank() ? "qemu" : guest.trim()) + " guest)";
        }
        if (backend == Backend.DEV_VPOLL && System.getProperty(org.jvpoll.backend.Backends.DEV_VPOLL_PATH_PROPERTY) != null) {
            return "dev-vpoll (FUSE-served file)";
        }
        return backend.id();
    }

    /** The published columns, in order. */
    static final List<String> COLUMNS = List.of("emulation", "emulation-tcp", "fuse", "dev-vpoll (FUSE-served file)",
            "eventfd (qemu guest)", "dev-vpoll (qemu guest)", "dev-vpoll (6.12 guest)",
            "emulation (6.1 guest)", "emulation (6.12 guest)");

    /** System property naming the qemu guest's kernel in its columns (see {@link #columnFor}). */
    static final String GUEST_PROPERTY = "jvpoll.vm.guest";

    /** @return the column without its guest suffix: the backend (or backend over a device) it measures */
    static String baseColumn(String column) {
        return column.replaceFirst(" \\((qemu|[0-9][0-9.]*) guest\\)$", "");
    }

    /** Runs every scenario on {@code backend}. @return the cells, in scenario order */
    static Map<String, Cell> run(Backend backend, List<Scenario> scenarios) {
        return run(backend, scenarios, true);
    }

    /** @param log whether to print a line per cell (the machinery's own tests run quietly) */
    static Map<String, Cell> run(Backend backend, List<Scenario> scenarios, boolean log) {
        Map<String, Cell> cells = new LinkedHashMap<>();
        Subject subject = new Subject(backend);
        for (Scenario sc : scenarios) {
            DesignLimits.Limit limit = DesignLimits.find(backend, sc.id());
            Cell cell;
            long t0 = System.nanoTime();
            try {
                sc.body().run(subject);
                cell = limit == null ? new Cell(sc.id(), Cell.PASS, "")
                        : new Cell(sc.id(), Cell.FAIL, "passes although limit " + limit.id()
                                + " is declared: remove it from DesignLimits");
            } catch (Skip s) {
                if (log) {
                    System.out.println("SKIP conformance " + backend.id() + " " + sc.id() + ": " + s.getMessage());
                }
                cell = new Cell(sc.id(), "skipped", s.getMessage());
            } catch (AssertionError | UnsupportedEventsException e) {
                cell = limit != null ? new Cell(sc.id(), "not supported by design (" + limit.id() + ")", String.valueOf(e.getMessage()))
                        : new Cell(sc.id(), Cell.FAIL, trace(e));
            } catch (Throwable e) {
                cell = new Cell(sc.id(), Cell.FAIL, trace(e));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (log) {
                System.out.println("conformance " + columnFor(backend) + " | " + sc.id() + " | " + cell.outcome()
                        + (cell.detail().isEmpty() ? "" : " | " + firstLine(cell.detail())) + " (" + ms + " ms)");
            }
            cells.put(sc.id(), cell);
        }
        return cells;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Where results files go: -Djvpoll.conformance.dir, else target/conformance. */
    static Path resultsDir() {
        String dir = System.getProperty("jvpoll.conformance.dir");
        return dir != null ? Path.of(dir) : Foreign.writableTarget().resolve("conformance");
    }

    /**
     * Writes one backend's results: a file per column (kernel line, then scenario TAB outcome),
     * and the same lines on stdout prefixed CONFORMANCE-RESULT, so a qemu guest's log carries them.
     */
    static void writeResults(String column, Map<String, Cell> cells) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("kernel\t").append(kernel()).append('\n');
        for (Cell c : cells.values()) {
            b.append(c.scenario()).append('\t').append(c.outcome()).append('\n');
        }
        Path dir = resultsDir();
        Files.createDirectories(dir);
        Path file = dir.resolve(column.replaceAll("[^A-Za-z0-9-]+", "_") + ".tsv");
        Files.writeString(file, "column\t" + column + "\n" + b);
        for (String l : b.toString().split("\n")) {
            System.out.println("CONFORMANCE-RESULT " + column + "\t" + l);
        }
        System.out.println("conformance results for " + column + " written to " + file);
    }

    static String kernel() {
        return "Linux " + System.getProperty("os.version");
    }

    /** @return the failing cells, described */
    static List<String> failures(String column, Map<String, Cell> cells) {
        List<String> out = new ArrayList<>();
        for (Cell c : cells.values()) {
            if (c.failed()) {
                out.add(column + " / " + c.scenario() + ": " + c.detail());
            }
        }
        return out;
    }
}
