package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The packaged tool, run as a user would with only a JDK: {@code java -jar} (class path, the library
 * found through the manifest's Class-Path in lib/) and the module path (what bin/jvpoll does). Runs
 * after {@code package} (the tool-jar execution in jvpoll-tool/pom.xml).
 */
class ToolJarTest {
    static final Path JAR = Path.of(System.getProperty("jvpoll.tool.jar", "target/jvpoll-tool.jar"));

    record Result(int rc, String out) {}

    static Result java(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + cmd);
        return new Result(p.exitValue(), out);
    }

    @Test
    void javaDashJarRunsTheToolWithTheLibraryBesideIt() throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), JAR + " is built");
        Path lib = JAR.resolveSibling("lib");
        try (var jars = Files.list(lib)) {
            assertTrue(jars.anyMatch(j -> j.getFileName().toString().startsWith("jvpoll-core-")), "the library is in " + lib);
        }
        Result version = java("-jar", JAR.toString(), "--version");
        assertEquals(0, version.rc(), version.out());
        assertTrue(version.out().startsWith("jvpoll "), version.out());
        Result info = java("-jar", JAR.toString(), "info", "--backend", "emulation");
        assertEquals(0, info.rc(), info.out());
        assertTrue(info.out().contains("chosen: emulation (forced by --backend)"), info.out());
        assertFalse(info.out().contains("WARNING"), "Enable-Native-Access in the manifest: no warning: " + info.out());
        Result bad = java("-jar", JAR.toString(), "demo", "--delay-ms", "abc");
        assertEquals(2, bad.rc(), bad.out());
        assertEquals("jvpoll: --delay-ms abc: not a whole number (expected 1 to 60000)\n", bad.out());
    }

    @Test
    void theModulePathRunsTheToolAsModuleOrgJvpollTool() throws IOException, InterruptedException {
        String path = JAR + java.io.File.pathSeparator + JAR.resolveSibling("lib");
        Result r = java("--enable-native-access=org.jvpoll", "-p", path,
                "-m", "org.jvpoll.tool/org.jvpoll.cli.JvpollCommand", "info", "--backend", "emulation");
        assertEquals(0, r.rc(), r.out());
        assertTrue(r.out().contains("| IN | 0x1 | yes"), r.out());
        assertFalse(r.out().contains("WARNING"), r.out());
    }

    @Test
    void binJvpollRunsTheToolWithoutMavensNoise() throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("user.dir")).resolve("../bin/jvpoll").normalize();
        Process p = new ProcessBuilder(script.toString(), "--version").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "bin/jvpoll finished");
        assertEquals(0, p.exitValue(), out + err);
        assertTrue(out.startsWith("jvpoll "), out);
        assertFalse(err.contains("WARNING") || err.contains("[INFO]") || err.contains("\u001b["),
                "nothing from Maven or the JVM, no colour escapes: " + err);
        String text = Files.readString(script);
        assertTrue(text.contains(">\"$log\" 2>&1"), "a build (when one is needed) writes its output to a log shown only on failure");
    }
}
