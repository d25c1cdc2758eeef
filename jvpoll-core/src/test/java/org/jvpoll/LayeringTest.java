package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of jvpoll-core, read from the main sources (imports, fully qualified
 * names, and same-package names in {@code org.jvpoll}):
 * <pre>
 * 4  org.jvpoll (API: VpollFd, Vpoll, ...), org.jvpoll.wait
 * 3  org.jvpoll.backend, .fuse, .park, .channel
 * 2  org.jvpoll.syscall                                java.* and the leaf types only
 * 1  org.jvpoll (leaf types: Errno, the exceptions, Events, VpollOp, Backend)
 * 0  org.jvpoll.registry                               java.* only
 * </pre>
 * A package may use its own layer and those below, and the packages form no cycle. The graph
 * is printed when a rule breaks.
 */
class LayeringTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final String ROOT = "org.jvpoll";
    /** Public types of org.jvpoll that import only java.* and that the layers below the API use. */
    private static final Set<String> LEAF_TYPES = Set.of("Errno", "VpollException", "UnsupportedEventsException",
            "BackendUnavailableException", "Events", "VpollOp", "Backend");
    private static final String LEAF = ROOT + " (leaf types)";
    private static final Map<String, Integer> LAYER = Map.of(
            ROOT + ".registry", 0,
            LEAF, 1,
            ROOT + ".syscall", 2,
            ROOT + ".backend", 3, ROOT + ".fuse", 3, ROOT + ".park", 3, ROOT + ".channel", 3,
            ROOT, 4, ROOT + ".wait", 4);
    /** Nodes that may use nothing outside java.* below them. */
    private static final Set<String> JAVA_ONLY = Set.of(ROOT + ".registry", LEAF, ROOT + ".syscall");
    /** Known exceptions, each "class -> type": none (the CLI and its fidelity table left for jvpoll-tool). */
    private static final Set<String> EXCEPTIONS = Set.of();

    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?([\\w.]+)(\\.\\*)?\\s*;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\borg\\.jvpoll\\.((?:[a-z]\\w*\\.)*)([A-Z]\\w*)");

    /** class -> (node it belongs to); edges: "fromNode -> toNode" with the class-level reasons. */
    private static final Map<String, Set<String>> EDGES = new TreeMap<>();
    private static final Map<String, Set<String>> FOREIGN = new TreeMap<>();
    private static final Set<String> ROOT_TYPES = new TreeSet<>();

    @BeforeAll
    static void readSources() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java")).sorted().toList();
        }
        for (Path f : files) {
            if (f.getParent().equals(SOURCES.resolve("org/jvpoll")) && !f.endsWith("package-info.java")) {
                ROOT_TYPES.add(f.getFileName().toString().replace(".java", ""));
            }
        }
        for (Path f : files) {
            String raw = Files.readString(f);
            Matcher pm = PACKAGE.matcher(raw);
            if (!pm.find()) {
                continue;
            }
            String pkg = pm.group(1);
            String simple = f.getFileName().toString().replace(".java", "");
            String cls = pkg + "." + simple;
            String from = node(pkg, simple);
            String code = stripCommentsAndStrings(raw);
            Matcher im = IMPORT.matcher(code);
            while (im.find()) {
                String name = im.group(2);
                if (!name.startsWith(ROOT + ".")) {
                    FOREIGN.computeIfAbsent(from, k -> new TreeSet<>()).add(topLevelPackage(name) + "  (" + cls + ")");
                }
            }
            Matcher qm = QUALIFIED.matcher(code);
            while (qm.find()) {
                String p = qm.group(1).isEmpty() ? ROOT : ROOT + "." + qm.group(1).substring(0, qm.group(1).length() - 1);
                addEdge(cls, from, node(p, qm.group(2)), p + "." + qm.group(2));
            }
            if (pkg.equals(ROOT)) {
                for (String other : ROOT_TYPES) {
                    if (!other.equals(simple) && Pattern.compile("\\b" + other + "\\b").matcher(code).find()) {
                        addEdge(cls, from, node(ROOT, other), ROOT + "." + other);
                    }
                }
            }
        }
    }

    private static String topLevelPackage(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot) + ".*";
    }

    private static String node(String pkg, String type) {
        if (pkg.equals(ROOT)) {
            return LEAF_TYPES.contains(type) ? LEAF : ROOT;
        }
        return pkg;
    }

    private static void addEdge(String cls, String from, String to, String type) {
        if (from.equals(to) || EXCEPTIONS.contains(cls + " -> " + type)) {
            return;
        }
        EDGES.computeIfAbsent(from + " -> " + to, k -> new TreeSet<>()).add(cls + " uses " + type);
    }

    /** Removes comments, string and char literals and text blocks, keeping line structure roughly. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String graph() {
        StringBuilder sb = new StringBuilder("package graph of jvpoll-core (node -> node: reasons):\n");
        EDGES.forEach((edge, why) -> sb.append("  ").append(edge).append("\n      ")
                .append(String.join("\n      ", why)).append('\n'));
        return sb.toString();
    }

    @Test
    void everyPackageIsInALayer() {
        Set<String> nodes = new TreeSet<>();
        EDGES.keySet().forEach(e -> nodes.addAll(List.of(e.split(" -> "))));
        nodes.removeAll(LAYER.keySet());
        assertTrue(nodes.isEmpty(), "packages without a layer " + nodes + "; add them to LayeringTest.LAYER\n" + graph());
    }

    @Test
    void packagesUseOnlyTheirOwnLayerAndTheOnesBelow() {
        List<String> broken = new ArrayList<>();
        EDGES.forEach((edge, why) -> {
            String[] ends = edge.split(" -> ");
            Integer from = LAYER.get(ends[0]);
            Integer to = LAYER.get(ends[1]);
            if (from != null && to != null && (to > from || (to.equals(from) && from < 3))) {
                broken.add(edge + ": " + why);
            }
        });
        assertTrue(broken.isEmpty(), "layer rules broken:\n  " + String.join("\n  ", broken) + "\n" + graph());
    }

    @Test
    void theBottomLayersImportOnlyJava() {
        List<String> broken = new ArrayList<>();
        for (String node : JAVA_ONLY) {
            for (String foreign : FOREIGN.getOrDefault(node, Set.of())) {
                if (!foreign.startsWith("java.*")) {
                    broken.add(node + " imports " + foreign);
                }
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }

    @Test
    void packagesFormNoCycle() {
        Map<String, Set<String>> out = new TreeMap<>();
        EDGES.keySet().forEach(e -> {
            String[] ends = e.split(" -> ");
            out.computeIfAbsent(ends[0], k -> new TreeSet<>()).add(ends[1]);
        });
        List<String> cycles = new ArrayList<>();
        for (String start : out.keySet()) {
            findCycle(start, start, out, new ArrayList<>(List.of(start)), new TreeSet<>(), cycles);
        }
        assertTrue(cycles.isEmpty(), "package cycles:\n  " + String.join("\n  ", cycles) + "\n" + graph());
    }

    private static void findCycle(String start, String at, Map<String, Set<String>> out, List<String> path,
                                  Set<String> seen, List<String> cycles) {
        for (String next : out.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                cycles.add(String.join(" -> ", path) + " -> " + start);
            } else if (next.compareTo(start) > 0 && seen.add(next)) { // each cycle once, from its least node
                path.add(next);
                findCycle(start, next, out, path, seen, cycles);
                path.remove(path.size() - 1);
            }
        }
    }

    @Test
    void theCheckerSeesRealReferences() {
        // guards against a parser that finds nothing and so passes everything
        assertTrue(EDGES.containsKey(ROOT + ".syscall -> " + LEAF), graph());
        assertTrue(EDGES.containsKey(ROOT + " -> " + ROOT + ".backend"), graph());
        assertTrue(EDGES.containsKey(ROOT + ".wait -> " + ROOT), graph());
        assertTrue(stripCommentsAndStrings("a /* org.jvpoll.cli.X */ \"org.jvpoll.cli.Y\" // org.jvpoll.cli.Z\nb")
                .indexOf("org.jvpoll") < 0);
    }
}
