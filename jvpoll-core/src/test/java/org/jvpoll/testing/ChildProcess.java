package org.jvpoll.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The one way tests start another process: a JVM of the running JDK on this test's class path
 * ({@link #java}), the same under a command prefix such as unshare or setpriv, or any command
 * ({@link #start}). Output (stdout and stderr merged) is read line by line and kept for failure
 * messages; every wait is bounded, and a child still running at a timeout or at {@link #close()}
 * is killed.
 * <p>
 * A child run as another user cannot read a checkout inside a folder only its owner may enter
 * (mode 0700) nor root's Maven repository: {@link ReadableClassPath} copies what it needs to a
 * temporary folder everyone may read.
 */
public final class ChildProcess implements AutoCloseable {
    private final Process process;
    private final String command;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    private ChildProcess(List<String> command) throws IOException {
        this.command = String.join(" ", command);
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        reader = Thread.ofPlatform().daemon(true).name("child-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    all.add(l);
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the child went away: what it printed so far is kept
            }
        });
    }

    /** Starts {@code command} as it is. */
    public static ChildProcess start(List<String> command) throws IOException {
        return new ChildProcess(command);
    }

    /** Starts {@code mainClass} of this test class path in a JVM of the running JDK (native access enabled). */
    public static ChildProcess java(String mainClass, String... args) throws IOException {
        return java(List.of(), System.getProperty("java.class.path"), mainClass, args);
    }

    /**
     * Starts {@code mainClass} on {@code classPath} in a JVM of the running JDK, under {@code prefix}
     * (a command such as unshare or setpriv whose last word is followed by java's command line).
     */
    public static ChildProcess java(List<String> prefix, String classPath, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(javaCommandLine(classPath));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return new ChildProcess(cmd);
    }

    /** @return the java launcher of the running JDK */
    public static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** @return java with the options every child JVM gets (native access, {@code classPath}), before the main class */
    public static List<String> javaCommandLine(String classPath) {
        return List.of(javaCommand(), "--enable-native-access=ALL-UNNAMED", "-cp", classPath);
    }

    /** @return the first line containing {@code marker}, waiting up to {@code seconds} */
    public String awaitLine(String marker, int seconds) throws InterruptedException {
        return awaitLine(l -> l.contains(marker), "a line with \"" + marker + "\"", seconds);
    }

    /** @return the first line (not returned before) that {@code wanted} accepts, waiting up to {@code seconds} */
    public String awaitLine(Predicate<String> wanted, String what, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            long left = deadline - System.nanoTime();
            String l = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (l == null) {
                throw new AssertionError("no " + what + " from " + command + " within " + seconds
                        + " s; it printed: " + output() + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
            }
            if (wanted.test(l)) {
                return l;
            }
        }
    }

    /** @return everything the child printed so far */
    public String output() {
        synchronized (all) {
            return String.join("\n", all);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Sends a signal by name (STOP, CONT, KILL, TERM) with kill(1); after STOP, returns once every thread stopped. */
    public void signal(String name) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
        if (name.equals("STOP")) {
            awaitAllThreadsStopped();
        }
    }

    /** kill(2) returns before every thread has stopped: a running one may still serve a request. */
    private void awaitAllThreadsStopped() throws IOException, InterruptedException {
        Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            boolean allStopped = true;
            try (Stream<Path> list = Files.list(tasks)) {
                for (Path t : (Iterable<Path>) list::iterator) {
                    String stat;
                    try {
                        stat = Files.readString(t.resolve("stat"));
                    } catch (java.nio.file.NoSuchFileException gone) {
                        continue; // a thread that exited
                    }
                    // the state is the field after the parenthesised command name
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    allStopped &= state == 'T' || state == 't';
                }
            }
            if (allStopped) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("child " + process.pid() + " did not stop within 10 s of SIGSTOP");
            }
            Thread.sleep(5);
        }
    }

    /** @return the exit status, waiting up to {@code seconds}; kills the child and fails if it is still running then */
    public int awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            close();
            throw new AssertionError(command + " did not exit within " + seconds + " s (killed); output: " + output());
        }
        reader.join(TimeUnit.SECONDS.toMillis(5)); // the last lines, for the caller's messages
        return process.exitValue();
    }

    /** @return the whole output, once the child exited with status 0 within {@code seconds} (else fails, saying why) */
    public String awaitSuccess(int seconds) throws InterruptedException {
        int status = awaitExit(seconds);
        if (status != 0) {
            throw new AssertionError(command + " exited " + status + "; output: " + output());
        }
        return output();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A copy of this test's class path in a new temporary folder that every user may read, for a
     * child run as another user: the checkout may sit in a folder only its owner can enter (0700)
     * or under a path with spaces, and the Maven repository in the owner's home. Deleted on close.
     */
    public static final class ReadableClassPath implements AutoCloseable {
        private final Path root;
        private final String classPath;

        /** Copies every entry (class folders and jars) of {@code java.class.path}. */
        public ReadableClassPath() throws IOException {
            root = Files.createTempDirectory(Path.of("/tmp"), "jvpoll-readable-classes",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x")); // the umask narrows the attribute
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue; // a class-path entry that names nothing adds nothing
                }
                Path to = root.resolve(i++ + "-" + from.getFileName());
                copyReadable(from, to);
                entries.add(to.toString());
            }
            classPath = String.join(java.io.File.pathSeparator, entries);
        }

        /** @return the class path of the copy */
        public String classPath() {
            return classPath;
        }

        private static void copyReadable(Path from, Path to) throws IOException {
            if (!Files.isDirectory(from)) {
                Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
                return;
            }
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Path d = to.resolve(from.relativize(dir).toString());
                    Files.createDirectories(d);
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path f = to.resolve(from.relativize(file).toString());
                    Files.copy(file, f);
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                    return FileVisitResult.CONTINUE;
                }
            });
        }

        @Override
        public void close() throws IOException {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }
}
