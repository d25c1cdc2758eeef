package org.jvpoll.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.VpollFileSystem;
import org.jvpoll.syscall.Creds;

/**
 * {@code jvpoll serve [PATH]}: serves a /dev/vpoll-compatible file at PATH over FUSE until
 * SIGTERM or SIGINT, then unmounts it. Any program can use the file as it would use the vpoll
 * module's device; as root, {@code jvpoll serve /dev/vpoll} gives unmodified libvpoll programs
 * the kernel-mode behaviour, and jvpoll's dev-vpoll backend uses any PATH through
 * {@code -Djvpoll.devvpoll.path=PATH}.
 */
final class Serve {
    private Serve() {}

    record Settings(Path path, int mode, boolean allowOther, int readers, int requestTimeout, int spinMicros,
            FuseMount.Mounter mounter) {}

    static Path defaultPath() {
        if (Creds.geteuid() == 0) {
            return Path.of("/run/jvpoll/vpoll");
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && !runtime.isBlank() ? Path.of(runtime, "jvpoll")
                : Path.of(System.getProperty("java.io.tmpdir"), "jvpoll-" + Creds.geteuid());
        return base.resolve("vpoll");
    }

    static Settings parse(String[] args) {
        boolean root = Creds.geteuid() == 0;
        Path path = null;
        int mode = root ? 0666 : 0600;
        boolean allowOther = root;
        int readers = 2;
        int timeout = 30;
        int spin = 0;
        FuseMount.Mounter mounter = FuseMount.Mounter.AUTO;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--mode" -> mode = parseMode(JvpollCommand.value(args, ++i, a));
                case "--readers" -> readers = parseInt(JvpollCommand.value(args, ++i, a), a, 1, 64);
                case "--request-timeout" -> timeout = parseInt(JvpollCommand.value(args, ++i, a), a, 0, 65535);
                case "--spin-us" -> spin = parseInt(JvpollCommand.value(args, ++i, a), a, 0, 10_000);
                case "--mounter" -> mounter = FuseMount.Mounter.parse(JvpollCommand.value(args, ++i, a));
                case "--allow-other" -> allowOther = true;
                case "--no-allow-other" -> allowOther = false;
                default -> {
                    if (a.startsWith("-") || path != null) {
                        throw new IllegalArgumentException("serve: unexpected argument " + a + " (try: jvpoll help)");
                    }
                    path = Path.of(a);
                }
            }
        }
        return new Settings(path != null ? path : defaultPath(), mode, allowOther, readers, timeout, spin, mounter);
    }

    private static int parseMode(String s) {
        try {
            int m = Integer.parseInt(s, 8);
            if (m < 0 || m > 07777) {
                throw new NumberFormatException();
            }
            return m;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--mode " + s + ": expected octal permission bits such as 0666", e);
        }
    }

    private static int parseInt(String s, String option, int min, int max) {
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + s + ": expected a number from " + min + " to " + max, e);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Settings s = parse(args);
        Path parent = s.path().toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent) && !s.path().equals(defaultPath())) {
            throw new IllegalArgumentException("serve: directory " + parent + " does not exist");
        }
        FuseMount mount = FuseMount.mount(s.path(),
                new FuseMount.Options(s.mode(), s.allowOther(), s.readers(), s.requestTimeout(), s.spinMicros(), s.mounter()),
                line -> err.println("jvpoll serve: " + line), s.path().equals(defaultPath()));
        VpollFileSystem fs = mount.fileSystem();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            err.println("jvpoll serve: stopping, unmounting " + mount.path());
            mount.close();
        }));
        out.println("jvpoll serve: serving a vpoll device at " + mount.path() + " (pid " + ProcessHandle.current().pid()
                + ", mode 0" + Integer.toOctalString(s.mode()) + (s.allowOther() ? ", allow_other" : "")
                + ", mounted with " + (mount.mounter() == FuseMount.Mounter.SYSCALL ? "mount(2)" : "fusermount3")
                + ", FUSE 7." + fs.protocolMinor() + ", request timeout "
                + (fs.requestTimeout() > 0 ? fs.requestTimeout() + " s" : "none") + ", " + s.readers() + " threads"
                + (s.spinMicros() > 0 ? " + a responder spinning " + s.spinMicros() + " µs after each wake-up" : "") + ")");
        out.println("jvpoll serve: use it as /dev/vpoll (open + ioctl(_IO('^', op), events), or 8-byte write/read);"
                + " jvpoll: -D" + org.jvpoll.backend.Backends.DEV_VPOLL_PATH_PROPERTY + "=" + mount.path());
        out.println("jvpoll serve: SIGTERM or SIGINT unmounts and stops");
        out.flush();
        try {
            while (!fs.awaitTermination(1000)) {
                // the daemon ends only when the kernel ends the connection: unmounted from outside, or aborted
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!mount.isClosed()) { // not our own unmount on SIGTERM/SIGINT
            err.println("jvpoll serve: the FUSE connection of " + mount.path() + " ended (unmounted or aborted from outside)");
            mount.close();
            return 1;
        }
        return 0;
    }
}
