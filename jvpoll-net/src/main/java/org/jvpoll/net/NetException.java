package org.jvpoll.net;

import java.io.IOException;

import org.jvpoll.net.lwip.Lwip;

/**
 * A user-level socket operation failed in lwIP: carries lwIP's {@code err_t} and the errno lwIP's
 * socket layer would report for it.
 */
public class NetException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int lwipError;
    private final int errno;

    /**
     * @param operation what was attempted, e.g. "connect to 10.0.0.1:80"
     * @param lwipError lwIP's err_t (negative), or 0 when the failure is not lwIP's
     * @param errno     the matching errno
     * @param message   the reason in words
     */
    public NetException(String operation, int lwipError, int errno, String message) {
        super(operation + ": " + message + (lwipError != 0 ? " (lwIP " + Lwip.name(lwipError) + ", errno " + errno + ")" : ""));
        this.operation = operation;
        this.lwipError = lwipError;
        this.errno = errno;
    }

    static NetException of(String operation, int err) {
        return new NetException(operation, err, Lwip.errno(err), Lwip.text(err));
    }

    /** @return what was attempted */
    public String operation() {
        return operation;
    }

    /** @return lwIP's err_t (ERR_RST is -14, ERR_ABRT -13, ...), or 0 if the failure is not lwIP's */
    public int lwipError() {
        return lwipError;
    }

    /** @return the errno lwIP's socket layer maps the error to (ECONNRESET 104, ECONNREFUSED 111, ...) */
    public int errno() {
        return errno;
    }
}
