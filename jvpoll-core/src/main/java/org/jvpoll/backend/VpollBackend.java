package org.jvpoll.backend;

import java.io.IOException;

import org.jvpoll.Backend;

/** A mechanism that creates vpoll fds. */
public interface VpollBackend {

    /** Whether the machine offers a backend, and if not, why. */
    record Availability(boolean available, String detail, int errno) {
        public static final Availability YES = new Availability(true, "available", 0);

        public static Availability no(String why) {
            return new Availability(false, why, 0);
        }

        /** Unavailable because a probing call failed with {@code errno}. */
        public static Availability no(String why, int errno) {
            return new Availability(false, why, errno);
        }
    }

    Backend type();

    /** Probes (once) whether this machine offers the backend. */
    Availability availability();

    /** @return the event bits the backend can set and clear */
    int supportedEvents();

    /**
     * @return the events an fd of this backend can carry on their own, set and cleared at will
     *         (the automatic choice of {@link org.jvpoll.VpollFd.Options#expectedEvents} uses
     *         it); by default the supported ones
     */
    default int carriedEvents() {
        return supportedEvents();
    }

    /** Creates a vpoll fd; on failure nothing is left open. */
    VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws IOException;
}
