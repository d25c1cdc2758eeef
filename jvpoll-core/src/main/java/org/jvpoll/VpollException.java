package org.jvpoll;

import java.io.IOException;

/**
 * A system call made on behalf of jvpoll failed. Carries the call's name and the C {@code errno}.
 */
public class VpollException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The failing system call. */
    private final String call;
    /** The C errno it set. */
    private final int errno;

    /**
     * Creates an exception for a failed system call.
     *
     * @param call  the failing system call, for example {@code "ioctl(VPOLL_IO_ADDEVENTS)"}
     * @param errno the C errno value it reported, or 0 if the failure has no errno
     * @param detail extra context, may be null
     */
    public VpollException(String call, int errno, String detail) {
        super(message(call, errno, detail));
        this.call = call;
        this.errno = errno;
    }

    private static String message(String call, int errno, String detail) {
        StringBuilder sb = new StringBuilder(call).append(" failed");
        if (errno != 0) {
            sb.append(": ").append(Errno.name(errno)).append(" (errno ").append(errno).append(", ")
              .append(Errno.description(errno)).append(')');
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        return sb.toString();
    }

    /** {@return the failing system call} */
    public String call() {
        return call;
    }

    /** {@return the C errno value, or 0 if the failure carries none} */
    public int errno() {
        return errno;
    }
}
