package org.jvpoll.netty;

/** Receives the events of a {@link VpollRegistration}, always on its event loop's thread. */
@FunctionalInterface
public interface VpollListener {

    /**
     * Called on the event loop each time it finds the vpoll fd ready. Readiness is
     * level-triggered: while an event stays pending the loop calls again on every iteration, so
     * a listener clears what it consumed ({@code registration.vpollFd().delete(...)}), narrows
     * the interest, or closes the registration. A listener must not block; an exception it
     * throws is logged and the registration stays in place.
     *
     * @param registration the registration that fired
     * @param events       the ready events, {@link org.jvpoll.Events} bits: on the epoll transport
     *                     exactly what epoll reported (the interest bits that are pending, plus
     *                     ERR and HUP whenever pending); on the NIO transport IN and/or OUT as
     *                     the JDK Selector reports them (see {@link VpollNetty})
     */
    void onEvents(VpollRegistration registration, int events);
}
