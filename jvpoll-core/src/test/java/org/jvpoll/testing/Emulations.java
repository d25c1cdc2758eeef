package org.jvpoll.testing;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.backend.Backends;

/** What tests that run on every backend need to know about the two emulations' mechanisms. */
public final class Emulations {
    private Emulations() {}

    /** @return whether {@code b} is one of the user-space emulations (socket pair or TCP) */
    public static boolean isEmulation(Backend b) {
        return b == Backend.EMULATION || b == Backend.EMULATION_TCP;
    }

    /** @return whether fds of {@code b} carry all of {@code events} on their own */
    public static boolean carries(Backend b, int events) {
        return (Backends.get(b).carriedEvents() & events) == events;
    }

    /**
     * @return a second event, besides IN, that {@code b} sets and clears on its own: PRI where it
     *         can, else OUT (the socket-pair emulation has no PRI)
     */
    public static int other(Backend b) {
        return carries(b, Events.PRI) ? Events.PRI : Events.OUT;
    }
}
