package org.jvpoll;

/** A backend was requested explicitly but this machine does not offer it. */
public class BackendUnavailableException extends VpollException {
    private static final long serialVersionUID = 1L;

    /** The requested backend. */
    private final Backend backend;

    /**
     * Creates an exception saying why {@code backend} is missing.
     *
     * @param backend the requested backend
     * @param errno   the errno its probe saw, or 0
     * @param reason  what is missing, in words
     */
    public BackendUnavailableException(Backend backend, int errno, String reason) {
        super("backend " + backend.id(), errno, "not available: " + reason);
        this.backend = backend;
    }

    /** {@return the requested backend} */
    public Backend backend() {
        return backend;
    }
}
