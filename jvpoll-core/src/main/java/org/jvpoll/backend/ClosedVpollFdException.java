package org.jvpoll.backend;

import java.nio.channels.ClosedChannelException;

/**
 * A {@link ClosedChannelException} that says which vpoll fd was closed and which call found it so:
 * the JDK's class has no message of its own.
 */
public final class ClosedVpollFdException extends ClosedChannelException {
    private static final long serialVersionUID = 1L;

    private final String message;

    /** @param message the call and the fd, for example {@code "ctl(ADD, IN) on closed vpoll fd 7 (emulation)"} */
    public ClosedVpollFdException(String message) {
        this.message = message;
    }

    @Override
    public String getMessage() {
        return message;
    }
}
