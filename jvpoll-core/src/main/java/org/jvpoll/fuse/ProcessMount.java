package org.jvpoll.fuse;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Consumer;

import org.jvpoll.syscall.Creds;

/**
 * The FUSE backend's one mount per process: made on the first {@link #acquire()}, unmounted when
 * the last user {@link #release releases} it, and at JVM exit by {@link FuseMount}'s shutdown
 * hook. The mount point is {@code DIR/jvpoll-PID-STARTTIME}, where DIR is the system property
 * {@value #DIR_PROPERTY} or {@code java.io.tmpdir/jvpoll-fuse-EUID} (created 0700). Before
 * mounting, mounts and mount-point files in DIR left by dead processes are cleaned up.
 */
public final class ProcessMount {
    private ProcessMount() {}

    private static final System.Logger LOG = System.getLogger("org.jvpoll.fuse");

    /** Directory of the mount point. */
    public static final String DIR_PROPERTY = "jvpoll.fuse.dir";
    /** {@code auto} (default), {@code mount} or {@code fusermount3}. */
    public static final String MOUNTER_PROPERTY = "jvpoll.fuse.mounter";
    /** How the FUSE backend applies jvpoll's own changes: {@code direct} (default, in memory) or {@code ioctl}. */
    public static final String CTL_PROPERTY = "jvpoll.fuse.ctl";
    /** Daemon threads reading /dev/fuse (default 2). */
    public static final String READERS_PROPERTY = "jvpoll.fuse.readers";
    /** Microseconds a responder thread spins after each wake-up (default 0 = no responder; see docs/fuse.md). */
    public static final String SPIN_PROPERTY = "jvpoll.fuse.spinMicros";
    /** Seconds an unanswered request may wait before the kernel aborts the connection (default 30, 0 = never). */
    public static final String TIMEOUT_PROPERTY = "jvpoll.fuse.requestTimeout";

    private static final Object LOCK = new Object();
    private static FuseMount current;
    private static int users;

    /** Logs at INFO through System.Logger "org.jvpoll.fuse". */
    static final Consumer<String> LOG_LINE = line -> LOG.log(System.Logger.Level.INFO, line);

    /** @return the process's mount, mounting it now if needed; pair with {@link #release} */
    public static FuseMount acquire() throws IOException {
        synchronized (LOCK) {
            if (current == null || current.fileSystem().isTerminated()) {
                if (current != null) {
                    // the connection was aborted under us: start afresh, the old one dies with its users
                    LOG_LINE.accept("the FUSE connection of " + current.path() + " ended; mounting a new one");
                    current.close();
                }
                current = mountNew();
                users = 0;
            }
            users++;
            return current;
        }
    }

    /** Releases one use; the last one unmounts. */
    public static void release(FuseMount mount) {
        synchronized (LOCK) {
            if (mount != current) {
                return; // an aborted, already replaced mount
            }
            if (--users == 0) {
                current = null;
                mount.close();
            }
        }
    }

    /** @return the live mount, or null if none (for tests and diagnostics) */
    public static FuseMount current() {
        synchronized (LOCK) {
            return current;
        }
    }

    /** @return the directory mount points go in */
    public static Path directory() {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir).toAbsolutePath().normalize();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "jvpoll-fuse-" + Creds.geteuid()).toAbsolutePath().normalize();
    }

    public static FuseMount.Options options() {
        return new FuseMount.Options(0600, Creds.geteuid() == 0, intProperty(READERS_PROPERTY, 2, 1, 64),
                intProperty(TIMEOUT_PROPERTY, 30, 0, 0xffff), intProperty(SPIN_PROPERTY, 0, 0, 10_000),
                FuseMount.Mounter.parse(System.getProperty(MOUNTER_PROPERTY, "auto")));
    }

    private static int intProperty(String name, int def, int min, int max) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return def;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + "=" + v + ": not a number", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("-D" + name + "=" + v + ": must be " + min + " to " + max);
        }
        return n;
    }

    private static FuseMount mountNew() throws IOException {
        Path dir = directory();
        prepareDirectory(dir);
        cleanDirectory(dir, LOG_LINE);
        return FuseMount.mount(dir.resolve(Owner.self().tag()), options(), LOG_LINE);
    }

    /** Creates {@code dir} 0700 if missing; refuses one that is a link or owned by someone else. */
    static void prepareDirectory(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created concurrently by another jvpoll process of this user: checked below
            }
        }
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("FUSE mount directory " + dir + " is not a directory (or is a symbolic link);"
                    + " remove it or set -D" + DIR_PROPERTY);
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != Creds.geteuid()) {
            throw new IOException("FUSE mount directory " + dir + " belongs to uid " + owner + ", not to this user ("
                    + Creds.geteuid() + "); set -D" + DIR_PROPERTY + " to a directory of your own");
        }
    }

    /** Unmounts stale mounts in {@code dir} and deletes mount-point files of dead processes. */
    static void cleanDirectory(Path dir, Consumer<String> log) throws IOException {
        StaleMounts.clean(List.of(), dir, log);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, Owner.PREFIX + "*")) {
            for (Path f : files) {
                Owner owner = Owner.parse(f.getFileName().toString());
                if (owner != null && !owner.isAlive() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    FuseMount.deleteQuietly(f);
                }
            }
        }
    }
}
