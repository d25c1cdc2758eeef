package org.jvpoll.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The generated table in docs/conformance.md: scenario rows, one column per backend (and device
 * origin). Each run owns the columns it measured: it checks them against the published table, or
 * with -Djvpoll.docs.write=true rewrites them, keeping the other columns as published. The qemu
 * guests' columns come from their CONFORMANCE-RESULT lines through {@link #main}.
 */
final class ConformanceDocs {
    private ConformanceDocs() {}

    static final String BEGIN = "<!-- BEGIN GENERATED: conformance matrix (bin/gen-docs) -->";
    static final String END = "<!-- END GENERATED -->";
    static final String NOT_AVAILABLE = "not available";
    static final String KERNEL_ROW = "kernel";

    static Path doc() {
        return Path.of(System.getProperty("jvpoll.docs.dir", "../docs"), "conformance.md");
    }

    /** A parsed table: column name -> (row id -> cell). */
    static Map<String, Map<String, String>> parse(String text) {
        Map<String, Map<String, String>> table = new LinkedHashMap<>();
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END, Math.max(b, 0));
        if (b < 0 || e < 0) {
            return table;
        }
        List<String> header = null;
        for (String line : text.substring(b + BEGIN.length(), e).split("\n")) {
            if (!line.startsWith("|") || line.startsWith("|---")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split("(?<!\\\\)\\|", -1);
            if (header == null) {
                header = new ArrayList<>();
                for (String c : cells) {
                    header.add(c.trim());
                }
                for (String col : header.subList(1, header.size())) {
                    table.put(col, new LinkedHashMap<>());
                }
                continue;
            }
            String first = cells[0].trim();
            String id = first.startsWith("`") ? first.substring(1, first.indexOf('`', 1)) : first;
            for (int i = 1; i < cells.length && i < header.size(); i++) {
                table.get(header.get(i)).put(id, cells[i].trim());
            }
        }
        return table;
    }

    /** @return the generated block's content for these columns */
    static String render(List<Matrix.Scenario> scenarios, Map<String, Map<String, String>> columns) {
        StringBuilder t = new StringBuilder();
        t.append("| scenario |");
        for (String c : Matrix.COLUMNS) {
            t.append(' ').append(c).append(" |");
        }
        t.append("\n|---|");
        t.append("---|".repeat(Matrix.COLUMNS.size()));
        t.append('\n');
        t.append("| ").append(KERNEL_ROW).append(" |");
        for (String c : Matrix.COLUMNS) {
            t.append(' ').append(columns.getOrDefault(c, Map.of()).getOrDefault(KERNEL_ROW, "—")).append(" |");
        }
        t.append('\n');
        for (Matrix.Scenario s : scenarios) {
            t.append("| `").append(s.id()).append("` ").append(s.title().replace("|", "\\|")).append(" |");
            for (String c : Matrix.COLUMNS) {
                t.append(' ').append(columns.getOrDefault(c, Map.of()).getOrDefault(s.id(), NOT_AVAILABLE)).append(" |");
            }
            t.append('\n');
        }
        t.append("\nLimits (declared in `DesignLimits`; a cell marked `not supported by design (X)` runs and must fail, or the matrix fails):\n\n");
        for (DesignLimits.Limit l : DesignLimits.LIMITS) {
            t.append("- **").append(l.id()).append("** (").append(String.join(", ", l.columns())).append("): ").append(l.reason()).append('\n');
        }
        return t.toString();
    }

    /**
     * Checks (or writes, with -Djvpoll.docs.write=true) the columns measured by this run.
     * @return the differences that matter: rows added or removed, or outcomes that changed
     */
    static List<String> publish(List<Matrix.Scenario> scenarios, Map<String, Map<String, String>> measured) throws IOException {
        Path doc = doc();
        String text = Files.readString(doc);
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END, Math.max(b, 0));
        if (b < 0 || e < b) {
            throw new AssertionError(doc + " lacks the generated-block markers " + BEGIN + " ... " + END);
        }
        Map<String, Map<String, String>> published = parse(text);
        if (Boolean.getBoolean("jvpoll.docs.write")) {
            Map<String, Map<String, String>> merged = new LinkedHashMap<>(published);
            merged.putAll(measured);
            String updated = text.substring(0, b + BEGIN.length()) + "\n" + render(scenarios, merged) + text.substring(e);
            Files.writeString(doc, updated);
            System.out.println("wrote the conformance columns " + measured.keySet() + " to " + doc);
            return List.of();
        }
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> col : measured.entrySet()) {
            Map<String, String> pub = published.getOrDefault(col.getKey(), Map.of());
            for (Matrix.Scenario s : scenarios) {
                String want = col.getValue().get(s.id());
                String have = pub.get(s.id());
                if (want.startsWith("skipped")) {
                    // A facility this machine lacks (printed with its reason) does not make the docs stale.
                    continue;
                }
                if (!want.equals(have)) {
                    stale.add(col.getKey() + " / " + s.id() + ": measured \"" + want + "\", published \"" + have + "\"");
                }
            }
            for (String id : pub.keySet()) {
                if (!id.equals(KERNEL_ROW) && scenarios.stream().noneMatch(s -> s.id().equals(id))) {
                    stale.add(col.getKey() + " / " + id + ": published, but no such scenario");
                }
            }
        }
        return stale;
    }

    /** @return the cells of one measured column, with its kernel */
    static Map<String, String> column(Map<String, Matrix.Cell> cells) {
        Map<String, String> col = new LinkedHashMap<>();
        col.put(KERNEL_ROW, Matrix.kernel());
        for (Matrix.Cell c : cells.values()) {
            col.put(c.scenario(), c.outcome());
        }
        return col;
    }

    /**
     * Merges result files or guest logs (lines "CONFORMANCE-RESULT column TAB row TAB outcome", or
     * the .tsv files a run writes) into docs/conformance.md.
     * usage: ConformanceDocs DOC FILE...
     */
    public static void main(String[] args) throws IOException {
        Map<String, Map<String, String>> measured = new LinkedHashMap<>();
        for (String f : java.util.Arrays.asList(args).subList(1, args.length)) {
            String column = null;
            for (String line : Files.readAllLines(Path.of(f))) {
                int at = line.indexOf("CONFORMANCE-RESULT ");
                String[] p;
                if (at >= 0) {
                    p = line.substring(at + "CONFORMANCE-RESULT ".length()).split("\t");
                } else if (line.startsWith("column\t")) {
                    column = line.substring("column\t".length());
                    continue;
                } else if (column != null) {
                    String[] q = line.split("\t");
                    p = new String[] {column, q[0], q.length > 1 ? q[1] : ""};
                } else {
                    continue;
                }
                if (p.length == 3) {
                    measured.computeIfAbsent(p[0].trim(), k -> new LinkedHashMap<>()).put(p[1].trim(), p[2].trim());
                }
            }
        }
        if (measured.isEmpty()) {
            throw new IllegalArgumentException("no conformance results in " + String.join(" ", args));
        }
        System.setProperty("jvpoll.docs.dir", Path.of(args[0]).toAbsolutePath().getParent().toString());
        System.setProperty("jvpoll.docs.write", "true");
        publish(Scenarios.all(), measured);
    }
}
