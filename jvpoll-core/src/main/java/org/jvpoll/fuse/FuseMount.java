package org.jvpoll.fuse;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Creds;

/**
 * A mounted vpoll file system: the FUSE root is one regular file, mounted over a regular file
 * (or any non-directory, such as {@code /dev/vpoll}) at {@link #path()}, served by a
 * {@link VpollFileSystem} in this process.
 *
 * <p>Mounting: as root, with mount(2) on a /dev/fuse descriptor opened here; otherwise (or if
 * mount(2) is refused with EPERM) through the setuid helper {@code fusermount3} (package fuse3),
 * which mounts and hands the descriptor back over a socket (SCM_RIGHTS).
 *
 * <p>Ownership: the mount source is {@code jvpoll-PID-STARTTIME}, so a mount whose process is gone
 * (killed before it could unmount) is recognised as stale by {@link StaleMounts} and lazily
 * unmounted. {@link #close()} unmounts; a JVM shutdown hook does the same at exit.
 *
 * <p>This class is the mount's lifecycle; {@link FuseProbe} says whether FUSE is usable,
 * {@link Mounters} holds the two mount strategies and unmounting.
 */
public final class FuseMount implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("org.jvpoll.fuse");

    public static final String FS_TYPE = "fuse.jvpoll";
    public static final String SUBTYPE = "jvpoll";
    public static final String FUSERMOUNT = "fusermount3";

    /** How to mount. */
    public enum Mounter {
        /** mount(2) if root, falling back to fusermount3 when mount(2) is refused (EPERM). */
        AUTO,
        /** mount(2) only (needs CAP_SYS_ADMIN). */
        SYSCALL,
        /** the setuid helper fusermount3 only. */
        FUSERMOUNT3;

        /** @return the mounter for "auto", "mount" (or "syscall") and "fusermount3" */
        public static Mounter parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "mount", "syscall" -> SYSCALL;
                case "fusermount3", "fusermount" -> FUSERMOUNT3;
                default -> throw new IllegalArgumentException("FUSE mounter \"" + text
                        + "\": expected auto, mount or fusermount3");
            };
        }
    }

    /**
     * @param fileMode   permission bits of the served file
     * @param allowOther let other users' processes use the file (root, or user_allow_other in
     *                   /etc/fuse.conf for fusermount3); without it the kernel refuses every
     *                   call from another uid, even on an inherited descriptor
     * @param readers    daemon threads
     * @param requestTimeoutSeconds see {@link VpollFileSystem.Config}
     * @param spinMicros see {@link VpollFileSystem.Config}
     * @param mounter    how to mount
     */
    public record Options(int fileMode, boolean allowOther, int readers, int requestTimeoutSeconds, int spinMicros,
            Mounter mounter) {}

    private final Path path;
    private final boolean createdMountPoint;
    private final Mounter usedMounter;
    private final VpollFileSystem fs;
    private final Consumer<String> log;
    private final Thread shutdownHook;
    private boolean closed;
    private volatile boolean createdParent;

    private FuseMount(Path path, boolean createdMountPoint, Mounter usedMounter, VpollFileSystem fs, Consumer<String> log) {
        this.path = path;
        this.createdMountPoint = createdMountPoint;
        this.usedMounter = usedMounter;
        this.fs = fs;
        this.log = log;
        this.shutdownHook = Thread.ofPlatform().unstarted(this::unmountAtExit);
    }

    /** @return the served file */
    public Path path() {
        return path;
    }

    public VpollFileSystem fileSystem() {
        return fs;
    }

    /** @return SYSCALL or FUSERMOUNT3: how this mount was made */
    public Mounter mounter() {
        return usedMounter;
    }

    /**
     * Mounts a vpoll file at {@code file}, creating it (mode 0600) if missing and removing it
     * again on close. A stale jvpoll mount at {@code file} is unmounted first.
     *
     * @throws IllegalArgumentException if {@code file} is a directory or a symbolic link
     * @throws IOException              if it is served by a live jvpoll process, or mounting fails
     */
    public static FuseMount mount(Path file, Options options, Consumer<String> log) throws IOException {
        return mount(file, options, log, false);
    }

    /**
     * As {@link #mount(Path, Options, Consumer)}; with {@code createMissingParent}, a missing
     * parent directory (one level, mode 0755) is created and removed again on close if it is
     * then empty, so a default location such as /run/jvpoll leaves nothing behind.
     *
     * @throws IllegalArgumentException also if {@code file} is a regular file with content
     *                                  (mounting would hide it), or its directory is missing
     *                                  and not to be created
     */
    public static FuseMount mount(Path file, Options options, Consumer<String> log, boolean createMissingParent)
            throws IOException {
        Path path = file.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(path)) {
            throw new IllegalArgumentException(path + " is a symbolic link: give the path it points to");
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(path + " is a directory: the vpoll file is mounted over a file"
                    + " (give a file path such as " + path.resolve("vpoll") + ")");
        }
        Path parent = path.getParent();
        boolean createdParent = false;
        if (parent != null && !Files.isDirectory(parent)) {
            if (!createMissingParent) {
                throw new IllegalArgumentException("directory " + parent + " does not exist");
            }
            Files.createDirectory(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            createdParent = true;
        }
        try {
            FuseMount m = mountFile(path, options, log);
            m.createdParent = createdParent;
            return m;
        } catch (IOException | RuntimeException e) {
            if (createdParent) {
                deleteQuietly(parent);
            }
            throw e;
        }
    }

    private static FuseMount mountFile(Path path, Options options, Consumer<String> log) throws IOException {
        StaleMounts.clean(List.of(path), null, log);
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && Files.size(path) > 0) {
            throw new IllegalArgumentException(path + " is a regular file of " + Files.size(path) + " bytes: mounting"
                    + " over it would hide its content until unmounted (remove it or give another path)");
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            log.accept("mounting over the existing " + describe(path) + " " + path
                    + " (hidden while served, left in place afterwards)");
        }
        boolean created = false;
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                created = true;
            } catch (FileAlreadyExistsException raced) {
                // another process made it in between: mount over it like any existing file
            }
        }
        try {
            return mountAt(path, created, options, log);
        } catch (IOException | RuntimeException e) {
            if (created) {
                deleteQuietly(path);
            }
            throw e;
        }
    }

    private static FuseMount mountAt(Path path, boolean created, Options options, Consumer<String> log) throws IOException {
        Owner self = Owner.self();
        boolean root = Creds.geteuid() == 0;
        Mounter mounter = options.mounter() == Mounter.AUTO ? (root ? Mounter.SYSCALL : Mounter.FUSERMOUNT3) : options.mounter();
        int devFd;
        if (mounter == Mounter.SYSCALL) {
            try {
                devFd = Mounters.mountWithSyscall(path, self, options);
            } catch (VpollException e) {
                if (options.mounter() == Mounter.AUTO && e.errno() == Errno.EPERM && FuseProbe.findOnPath(FUSERMOUNT) != null) {
                    log.accept("mount(2) refused (EPERM), using " + FUSERMOUNT);
                    mounter = Mounter.FUSERMOUNT3;
                    devFd = Mounters.mountWithFusermount(path, self, options);
                } else {
                    throw e;
                }
            }
        } else {
            devFd = Mounters.mountWithFusermount(path, self, options);
        }
        VpollFileSystem.Config config = new VpollFileSystem.Config(options.fileMode(), Creds.geteuid(), Creds.getegid(),
                options.readers(), options.requestTimeoutSeconds(), options.spinMicros());
        VpollFileSystem fs = new VpollFileSystem(devFd, config, "jvpoll-fuse", log);
        FuseMount m = new FuseMount(path, created, mounter, fs, log);
        try {
            fs.awaitInit(10_000);
        } catch (IOException | InterruptedException e) {
            m.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof IOException io ? io : new VpollException("FUSE INIT", Errno.EINTR, "interrupted");
        }
        Runtime.getRuntime().addShutdownHook(m.shutdownHook);
        return m;
    }

    /**
     * Unmounts (lazily if the file is still open somewhere), waits briefly for the daemon to see
     * the connection end, and removes the mount point if this mount created it. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNotAdded) {
            // the hook is running, or mounting failed before it was added
        }
        unmount(false);
        try {
            if (!fs.awaitTermination(2_000)) {
                // Someone (another process, a leaked descriptor) still has the file open: the
                // detached mount lives on until they close it, and the daemon keeps serving them.
                log.accept("FUSE daemon for " + path + " still serves " + fs.openInstances()
                        + " open instance(s) after unmounting; it stops when they are closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeCreatedPaths();
    }

    private void removeCreatedPaths() {
        if (createdMountPoint) {
            deleteQuietly(path);
        }
        if (createdParent) {
            deleteQuietly(path.getParent()); // fails harmlessly unless empty
        }
    }

    private void unmountAtExit() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Descriptors may still be open in this process: detach, do not wait.
        unmount(true);
        removeCreatedPaths();
    }

    private void unmount(boolean lazyOnly) {
        try {
            Mounters.unmount(path, usedMounter, lazyOnly);
        } catch (IOException e) {
            log.accept("unmounting " + path + " failed: " + e.getMessage());
        }
    }


    private static String describe(Path path) throws IOException {
        Object kind = Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode");
        int type = kind instanceof Integer mode ? mode & 0170000 : 0;
        return switch (type) {
            case 0020000 -> "character device";
            case 0060000 -> "block device";
            case 0010000 -> "FIFO";
            case 0140000 -> "socket";
            default -> "empty file";
        };
    }

    /** @return whether {@link #close()} was called (false while serving, and after an unmount from outside) */
    public synchronized boolean isClosed() {
        return closed;
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not remove " + p, e);
        }
    }
}
