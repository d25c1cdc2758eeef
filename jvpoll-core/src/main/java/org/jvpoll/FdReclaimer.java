package org.jvpoll;

import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;

import org.jvpoll.backend.VpollFile;

/**
 * The safety net for a {@link VpollFd} dropped without {@link VpollFd#close()}: once the GC finds
 * it unreachable, its file is closed, as the JDK does for its own descriptors, and a warning says
 * which fd was left open. Explicit close stays the rule: a GC may come late or never, and until
 * then the descriptors stay open.
 *
 * <p>The action holds the {@link VpollFile} only, never the {@code VpollFd} (which would keep it
 * reachable for good). Its close goes through the file's single race-free close ({@code FdHandle}),
 * so it cannot close twice, or close a number that was reused, even next to an explicit close.
 */
final class FdReclaimer implements Runnable {
    private static final System.Logger LOG = System.getLogger("org.jvpoll");
    private static final Cleaner CLEANER = Cleaner.create(r -> new Thread(r, "jvpoll-cleaner"));
    private static final AtomicLong RECLAIMED = new AtomicLong();

    private final VpollFile file;

    private FdReclaimer(VpollFile file) {
        this.file = file;
    }

    /** Closes {@code file} once {@code owner} is unreachable, unless it was closed before. */
    static Cleaner.Cleanable register(VpollFd owner, VpollFile file) {
        return CLEANER.register(owner, new FdReclaimer(file));
    }

    /** @return how many unclosed VpollFds this process reclaimed (for tests) */
    static long reclaimed() {
        return RECLAIMED.get();
    }

    @Override
    public void run() {
        int fd = file.fd();
        if (!file.close()) {
            return; // closed explicitly: clean() after close, or the channel's close
        }
        long n = RECLAIMED.incrementAndGet();
        // The first one and every power of ten at WARNING, the rest at DEBUG: a program that
        // drops thousands of fds gets the news without a warning per fd.
        Level level = n == 1 || Long.toString(n).matches("10+") ? Level.WARNING : Level.DEBUG;
        if (!LOG.isLoggable(level)) {
            return;
        }
        LOG.log(level,
                "vpoll fd " + fd + " (" + file.backend().id() + ") was not closed: its VpollFd became unreachable, "
                        + "so the Cleaner closed it (" + n + " reclaimed so far in this process; close each VpollFd, "
                        + "for example with try-with-resources)");
    }
}
