package org.jvpoll.bench;

import java.io.IOException;

import org.jvpoll.Backend;
import org.jvpoll.VpollOp;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;

/**
 * A plain eventfd as a vpoll file, so jvpoll's channel path can select on it: the baseline of the
 * benchmarks (readable while its counter is non-zero). The benchmarks write and read it directly.
 */
public final class EventFdFile extends VpollFile {
    /** @throws IOException if eventfd(2) fails */
    public EventFdFile() throws IOException {
        super(EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK));
    }

    @Override
    public Backend backend() {
        return Backend.EVENTFD;
    }

    @Override
    protected int doCtl(int fd, VpollOp op, int events) {
        throw new UnsupportedOperationException("a raw eventfd is written and read directly");
    }

    @Override
    protected int doEvents(int fd) throws IOException {
        return Poll.currentEvents(fd);
    }

    @Override
    protected void releaseDescriptors(int fd) throws IOException {
        Unistd.close(fd);
    }
}
