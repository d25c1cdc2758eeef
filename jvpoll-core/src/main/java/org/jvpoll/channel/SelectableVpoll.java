package org.jvpoll.channel;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.atomic.AtomicBoolean;

import jdk.nio.Channels;

import org.jvpoll.backend.VpollFile;
import org.jvpoll.syscall.Unistd;

/**
 * A vpoll fd as a {@link SelectableChannel} of the JDK's own {@link SelectorProvider}, built with
 * {@link Channels#readWriteSelectableChannel} (module jdk.net) on a JDK-owned descriptor M that
 * refers to the vpoll fd's open file description (see {@link JdkDescriptors}).
 *
 * <p><b>One lifetime.</b> The channel and the vpoll fd close together, once:
 * <ul>
 * <li>Closing the channel (directly, or through {@code VpollFd.close()}) closes the vpoll file
 *     ({@link VpollFile#close()}: its descriptor goes once no jvpoll call is in flight) and
 *     releases M — at once if the channel is registered with no selector, otherwise when the last
 *     selector has deregistered it (its next select after the key's cancellation), exactly as the
 *     JDK's own channels defer their close. A selector never sees M's number reused while it still
 *     holds M in its epoll set, and M is closed only by the JDK's {@code RandomAccessFile} that
 *     owns it, exactly once.</li>
 * <li>Until M is released the open file description stays alive (a file lives while any
 *     descriptor refers to it): the vpoll state is still visible through M, but nothing can change
 *     it any more.</li>
 * </ul>
 */
public final class SelectableVpoll implements Channels.SelectableChannelCloser {
    private final VpollFile file;
    private final JdkDescriptors.Adopted jdkFd;
    private final SelectableChannel channel;
    private final AtomicBoolean released = new AtomicBoolean();
    /**
     * The vpoll fd object this channel belongs to, held so that it stays reachable as long as the
     * channel is (a Cleaner closes an unreachable one's file, which would close this channel).
     */
    private final Object owner;

    private SelectableVpoll(VpollFile file, JdkDescriptors.Adopted jdkFd, Object owner) {
        this.file = file;
        this.owner = owner;
        this.jdkFd = jdkFd;
        this.channel = Channels.readWriteSelectableChannel(jdkFd.descriptor(), this);
    }

    /**
     * Creates the channel of {@code file}.
     *
     * @throws java.nio.channels.ClosedChannelException if {@code file} is closed
     * @throws UnsupportedOperationException if the default SelectorProvider is not the JDK's
     */
    public static SelectableVpoll open(VpollFile file) throws IOException {
        return open(file, null);
    }

    /**
     * Creates the channel of {@code file}, which keeps {@code owner} reachable.
     *
     * @throws java.nio.channels.ClosedChannelException if {@code file} is closed
     * @throws UnsupportedOperationException if the default SelectorProvider is not the JDK's
     */
    public static SelectableVpoll open(VpollFile file, Object owner) throws IOException {
        SelectorProvider provider = SelectorProvider.provider();
        return file.withPinnedFd("channel()", fd -> {
            boolean closeOnExec = (Unistd.fcntl(fd, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC) != 0;
            JdkDescriptors.Adopted adopted = JdkDescriptors.adopt(fd, closeOnExec);
            try {
                return new SelectableVpoll(file, adopted, owner);
            } catch (RuntimeException e) {
                adopted.owner().close();
                if (e instanceof UnsupportedOperationException) {
                    throw new UnsupportedOperationException("a vpoll channel needs the JDK's built-in SelectorProvider, "
                            + "but the default one is " + provider.getClass().getName()
                            + " (set by java.nio.channels.spi.SelectorProvider or a service)", e);
                }
                throw e;
            }
        });
    }

    /** @return the channel; valid ops OP_READ and OP_WRITE */
    public SelectableChannel channel() {
        return channel;
    }

    /** Closes the channel (and so the vpoll file); see the class comment. */
    public void close() throws IOException {
        channel.close();
    }

    /** @return the number of the JDK's descriptor M (for tests and diagnostics) */
    public int jdkFdNumber() {
        return jdkFd.number();
    }

    /** @return whether M has been closed */
    public boolean isReleased() {
        return released.get();
    }

    @Override
    public void implCloseChannel(SelectableChannel sc) throws IOException {
        // blockingLock: configureBlocking and register hold it from their open check to their
        // fcntl on M, so none of them can act on M after it is released here; a registration
        // that completed before is seen by isRegistered() and defers the release.
        synchronized (sc.blockingLock()) {
            file.close();
            if (!sc.isRegistered()) {
                release();
            }
        }
    }

    @Override
    public void implReleaseChannel(SelectableChannel sc) throws IOException {
        // The last selector has removed M from its epoll set (JDK: implDereg before kill).
        release();
    }

    /**
     * Closes M through its JDK owner, once. Both callers can get here for the same close (the
     * selector deregisters between the closer's open flag and its isRegistered check), hence
     * the flag.
     */
    private void release() throws IOException {
        if (released.compareAndSet(false, true)) {
            jdkFd.owner().close();
        }
    }
}
