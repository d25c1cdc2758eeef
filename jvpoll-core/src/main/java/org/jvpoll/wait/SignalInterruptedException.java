package org.jvpoll.wait;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * A masked wait ({@code ppoll}, {@code pselect}, {@code epoll_pwait2}) was interrupted by a signal
 * that its mask let through: the reason those calls exist. The signal's handler has run when this
 * is thrown; {@link #errno()} is {@link Errno#EINTR}. The unmasked waits never throw it: they retry
 * with the time that is left.
 */
public final class SignalInterruptedException extends VpollException {
    private static final long serialVersionUID = 1L;

    /** @param call the interrupted call, for example {@code "ppoll"} */
    public SignalInterruptedException(String call) {
        super(call, Errno.EINTR, "a signal allowed by the wait's mask arrived");
    }
}
