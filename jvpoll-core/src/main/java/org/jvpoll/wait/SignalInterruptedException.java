package org.jvpoll.wait;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * A masked wait ({@code ppoll}, {@code pselect}, {@code epoll_pwait2}) was interrupted by a signal
 * that its mask let through: the reason those calls exist. The signal has been delivered when this
 * is thrown (its handler, if it has one, has run); {@link #errno()} is {@link Errno#EINTR}. The
 * unmasked waits never throw it: they retry with the time that is left.
 *
 * <p>Linux restarts {@code ppoll} and {@code pselect} by itself for a signal without a handler
 * whose default action is to ignore it (SIGWINCH, SIGURG, SIGCHLD), so they throw this only for
 * handled signals; {@code epoll_pwait2} reports EINTR for those too.
 */
public final class SignalInterruptedException extends VpollException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for an interrupted wait.
     *
     * @param call the interrupted call, for example {@code "ppoll"}
     */
    public SignalInterruptedException(String call) {
        super(call, Errno.EINTR, "a signal allowed by the wait's mask arrived");
    }
}
