package org.jvpoll.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.UnixFdPassing;

/**
 * The foreign clients of the matrix: the C program in src/test/c (compiled here with gcc, once per
 * build) and the Python program in src/test/python, each run as its own process and talked to
 * line by line. They receive the vpoll fd over an AF_UNIX socket (SCM_RIGHTS).
 */
final class Foreign implements AutoCloseable {
    /** jvpoll-core, found from the test classes (the qemu guests run with the repository root as working directory). */
    private static final Path MODULE = moduleDir();
    private static final Path SOURCES = MODULE.resolve("src/test");
    private static final AtomicLong SOCKETS = new AtomicLong();
    private static Path compiled;

    private final ChildProcess child;
    private final String what;

    private Foreign(List<String> command) throws IOException {
        this.what = String.join(" ", command);
        child = ChildProcess.start(command);
    }

    /** Returns once a thread of this client sleeps in one of {@code calls} (it printed READY just before). */
    void awaitBlocked(java.util.Set<BlockedThreads.Syscall> calls) throws InterruptedException {
        BlockedThreads.awaitAnyThreadBlocked(child.pid(), calls);
    }

    /** @return the C client, compiled from src/test/c/conformance_client.c if needed */
    static synchronized Path cClient() throws IOException, InterruptedException {
        if (compiled != null) {
            return compiled;
        }
        if (!onPath("gcc")) {
            throw new Matrix.Skip("gcc is not installed (run bin/install-test-deps)");
        }
        Path source = SOURCES.resolve("c/conformance_client.c");
        Path binary = writableTarget().resolve("conformance_client");
        FileTime sourceTime = Files.getLastModifiedTime(source);
        if (!Files.exists(binary) || Files.getLastModifiedTime(binary).compareTo(sourceTime) < 0) {
            Files.createDirectories(binary.getParent());
            try (ChildProcess gcc = ChildProcess.start(List.of("gcc", "-O1", "-Wall", "-Wextra", "-Werror", "-o", binary.toString(),
                    source.toString()))) {
                if (gcc.awaitExit(120) != 0) {
                    throw new AssertionError("gcc failed on " + source + ":\n" + gcc.output());
                }
            }
        }
        compiled = binary;
        return binary;
    }

    private static Path moduleDir() {
        try {
            Path classes = Path.of(Foreign.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.getParent().getParent(); // jvpoll-core/target/test-classes
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return jvpoll-core/target, or a temporary directory where that is read-only (qemu guests) */
    static Path writableTarget() {
        Path target = MODULE.resolve("target");
        return Files.isWritable(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** @return a fresh AF_UNIX socket path (short enough for sun_path) */
    static String socketPath() {
        return Path.of(System.getProperty("java.io.tmpdir"), "jvpoll-conf-" + ProcessHandle.current().pid() + "-"
                + SOCKETS.incrementAndGet() + ".sock").toString();
    }

    /** Starts the C client with {@code args} after its socket path, and hands it {@code fd}. */
    static Foreign c(int fd, String mode, String... args) throws Exception {
        String path = socketPath();
        List<String> cmd = new ArrayList<>(List.of(cClient().toString(), mode, path));
        cmd.addAll(List.of(args));
        return started(cmd, path, fd);
    }

    /** Starts the Python client waiting with {@code method}, and hands it {@code fd}. */
    static Foreign python(int fd, String method, double timeoutSeconds) throws Exception {
        if (!onPath("python3")) {
            throw new Matrix.Skip("python3 is not installed (run bin/install-test-deps)");
        }
        String path = socketPath();
        List<String> cmd = List.of("python3", SOURCES.resolve("python/conformance_client.py").toString(), path, method,
                Double.toString(timeoutSeconds));
        return started(cmd, path, fd);
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static Foreign started(List<String> cmd, String path, int fd) throws Exception {
        Foreign f = new Foreign(cmd);
        try {
            f.await("LISTENING", 60); // generous: a cold python3 under qemu (tcg) over 9p takes many seconds to start
            try (UnixFdPassing s = new UnixFdPassing(path)) {
                s.sendFd(fd, 'v');
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError("passing fd " + fd + " over " + path, t);
            }
            return f;
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
    }

    /** @return the first line starting with {@code prefix}; an UNSUPPORTED line means the facility is off */
    String await(String prefix, int seconds) throws InterruptedException {
        String l = child.awaitLine(line -> line.startsWith(prefix) || line.startsWith("UNSUPPORTED") || line.startsWith("ERROR"),
                "\"" + prefix + "\" line", seconds);
        if (l.startsWith("UNSUPPORTED")) {
            throw new Matrix.Skip(l.substring("UNSUPPORTED".length()).trim());
        }
        if (l.startsWith("ERROR")) {
            throw new AssertionError("foreign client: " + l + " (" + what + ")");
        }
        return l;
    }

    /** @return the events the client reported on its EVENTS line */
    int awaitEvents(int seconds) throws InterruptedException {
        String l = await("EVENTS ", seconds).substring("EVENTS ".length()).trim();
        return Integer.decode(l);
    }

    String output() {
        return child.output();
    }

    int awaitExit(int seconds) throws InterruptedException {
        return child.awaitExit(seconds);
    }

    @Override
    public void close() {
        child.close();
    }
}
