package org.jvpoll.channel;

import java.io.FileDescriptor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.FdTable;
import org.jvpoll.syscall.MemFd;
import org.jvpoll.syscall.Stat;
import org.jvpoll.syscall.Unistd;

/**
 * Gives a kernel open file description a {@link FileDescriptor} that the JDK owns, without
 * reflection: the JDK opens a file of jvpoll's, so it owns descriptor M, then {@code dup3} makes M
 * refer to the description we want. M is from then on closed only through the JDK object that
 * opened it ({@link Adopted#owner()}), never with a raw close(2).
 *
 * <p>Finding M, in O(1) system calls:
 * <ol>
 * <li>The JDK opens {@code /proc/self/fd/A}, where A is an anchor memfd created once per process:
 *     the new descriptor refers to the anchor's inode, which nothing else in the process opens.</li>
 * <li>Just before, jvpoll notes the lowest free descriptor number (F_DUPFD_CLOEXEC, close): open(2)
 *     returns the lowest free number, so M is that guess unless another thread opened or closed a
 *     descriptor in between.</li>
 * <li>The guess is verified, never trusted: the JDK seeks its new description to a mark unique to
 *     this call, and the guess must show the anchor's (device, inode) and that offset. Two
 *     descriptors with the same file and offset are the same description, whatever other threads
 *     open meanwhile.</li>
 * <li>Only if the guess lost a race is {@code /proc/self/fd} scanned, with the same test
 *     ({@link #guessMisses()} counts it).</li>
 * </ol>
 * Adoptions are serialized by one lock, so no two of them are in flight at once.
 */
final class JdkDescriptors {
    private JdkDescriptors() {}

    /**
     * A JDK-owned descriptor. {@code owner} must stay reachable while {@code descriptor} is used
     * (its Cleaner would close M), and closing {@code owner} is the only way M is ever closed.
     */
    record Adopted(RandomAccessFile owner, FileDescriptor descriptor, int number) {}

    private record Anchor(int fd, String path, Stat.FileId id) {}

    private static final ReentrantLock LOCK = new ReentrantLock();
    private static Anchor anchor;           // guarded by LOCK; created once, never closed
    private static long nextMark = 1L << 32; // guarded by LOCK; offsets nothing else seeks to
    private static final AtomicLong GUESSES = new AtomicLong();
    private static final AtomicLong MISSES = new AtomicLong();

    /** Test seam: runs between the guess and the JDK's open (a test steals the number there). */
    static volatile Runnable afterGuessHook;

    /**
     * Makes a JDK-owned descriptor refer to {@code fd}'s open file description.
     *
     * @param fd          a descriptor, pinned open by the caller for the duration of the call
     * @param closeOnExec the close-on-exec flag for the new descriptor
     */
    static Adopted adopt(int fd, boolean closeOnExec) throws IOException {
        LOCK.lock();
        try {
            Anchor a = anchor();
            int guess = FdTable.lowestFree(a.fd());
            Runnable hook = afterGuessHook;
            if (hook != null) {
                hook.run();
            }
            RandomAccessFile owner;
            try {
                owner = new RandomAccessFile(a.path(), "r");
            } catch (FileNotFoundException e) {
                throw new VpollException("open(" + a.path() + ")", 0,
                        "the JDK could not reopen jvpoll's anchor memfd (is /proc mounted?): " + e.getMessage());
            }
            boolean done = false;
            try {
                long mark = nextMark++;
                owner.seek(mark);
                GUESSES.incrementAndGet();
                int number = isTheOne(guess, a, mark) ? guess : scan(a, mark);
                FdTable.dup3(fd, number, closeOnExec ? Unistd.O_CLOEXEC : 0);
                done = true;
                return new Adopted(owner, owner.getFD(), number);
            } finally {
                if (!done) {
                    owner.close();
                }
            }
        } finally {
            LOCK.unlock();
        }
    }

    /** @return how many adoptions were made (each made one guess) */
    static long guesses() {
        return GUESSES.get();
    }

    /** @return how many adoptions found their guess taken and scanned {@code /proc/self/fd} */
    static long guessMisses() {
        return MISSES.get();
    }

    /** Whether descriptor {@code n} is the JDK's new description of the anchor, at offset {@code mark}. */
    private static boolean isTheOne(int n, Anchor a, long mark) throws VpollException {
        if (n == a.fd()) {
            return false;
        }
        Stat.FileId id = Stat.identity(n);
        return a.id().equals(id) && FdTable.lseek(n, 0, FdTable.SEEK_CUR) == mark;
    }

    private static int scan(Anchor a, long mark) throws IOException {
        MISSES.incrementAndGet();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : entries) {
                int n;
                try {
                    n = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue; // not a descriptor entry
                }
                if (isTheOne(n, a, mark)) {
                    return n;
                }
            }
        }
        throw new VpollException("adopting a descriptor", 0,
                "the JDK's new descriptor for " + a.path() + " is not in /proc/self/fd");
    }

    private static Anchor anchor() throws VpollException {
        Anchor a = anchor;
        if (a == null) {
            int fd = MemFd.create("jvpoll-anchor", MemFd.MFD_CLOEXEC);
            try {
                anchor = a = new Anchor(fd, "/proc/self/fd/" + fd, Stat.identity(fd));
            } catch (VpollException | RuntimeException e) {
                Unistd.closeQuietly(fd);
                throw e;
            }
        }
        return a;
    }
}
