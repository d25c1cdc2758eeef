package org.jvpoll.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.jvpoll.VpollFd;

/** Counts this process's open descriptors (leak checks), leaving out the JVM's own jars and class files. */
public final class OpenDescriptors {
    private OpenDescriptors() {}

    /**
     * @return how many descriptors this process has open, after jvpoll's per-process descriptors
     *         (the emulation's listener, the channel anchor) exist
     */
    public static int openCount() {
        return openCount(VpollFd.Options.DEFAULT);
    }

    /**
     * @return like {@link #openCount()}, after one fd of {@code options}' backend existed too (the
     *         FUSE backend's per-process mount stays once made)
     */
    public static int openCount(VpollFd.Options options) {
        try (VpollFd v = VpollFd.create(0, options)) {
            v.channel().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return countNow();
    }

    /** @return how many descriptors this process has open right now */
    public static int countNow() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.filter(Probe::notJvmFile).count() - 1; // minus the one the listing itself holds
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
