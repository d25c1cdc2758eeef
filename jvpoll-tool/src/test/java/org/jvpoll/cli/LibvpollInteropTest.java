package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.FuseSupport;
import org.jvpoll.testing.Skip;

/**
 * libvpoll's own example (vpoll(3) of Debian's libvpoll-dev), unmodified and linked with Debian's
 * libvpoll, run against {@code jvpoll serve /dev/vpoll} in a private mount namespace: it must
 * print the kernel-mode events (1, 1, 4, 10), not the emulation's (..., 2011). The work is done by
 * {@code bin/libvpoll-interop}; this test runs it with this build's classes.
 */
class LibvpollInteropTest {
    @Test
    void libvpollsExamplePrintsTheKernelModeOutputAgainstServe() throws IOException, InterruptedException {
        FuseSupport.requireRootFuse();
        Path script = Path.of(System.getProperty("user.dir")).resolve("../bin/libvpoll-interop").normalize();
        String why = !Files.isExecutable(script) ? "no " + script
                : !Files.exists(Path.of("/usr/include/vpoll.h")) ? "libvpoll-dev is not installed (run bin/install-test-deps)"
                : FuseMountPath.find("gcc") == null ? "gcc is not installed (run bin/install-test-deps)"
                : FuseMountPath.find("unshare") == null ? "unshare(1) is missing (util-linux)" : null;
        Skip.unless(why == null, "libvpoll interop: " + why);
        List<String> cmd = List.of(script.toString(), ChildProcess.javaCommand(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), JvpollCommand.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("PASS"), out);
        assertEquals("GOT event 1\nGOT event 1\nGOT event 4\nGOT event 10\n",
                out.lines().filter(l -> l.startsWith("GOT event")).reduce("", (a, l) -> a + l + "\n"));
    }

    /** PATH lookup. */
    static final class FuseMountPath {
        static Path find(String program) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                Path p = Path.of(dir, program);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return p;
                }
            }
            return null;
        }
    }
}
