package org.jvpoll;

/**
 * The backend serving a vpoll fd cannot produce the requested events or transition. Nothing was
 * changed: the fd's events are exactly as before the call.
 */
public class UnsupportedEventsException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    /** The backend that refused. */
    private final Backend backend;
    /** The events it cannot produce. */
    private final int events;

    /**
     * Creates an exception naming the refused events and why.
     *
     * @param backend the backend that refused
     * @param events  the bits it cannot produce or clear
     * @param reason  why, in words
     */
    public UnsupportedEventsException(Backend backend, int events, String reason) {
        super(backend.id() + " backend cannot " + reason + " [" + Events.toString(events) + "]");
        this.backend = backend;
        this.events = events;
    }

    /** {@return the backend that refused} */
    public Backend backend() {
        return backend;
    }

    /** {@return the bits it cannot produce or clear} */
    public int events() {
        return events;
    }
}
