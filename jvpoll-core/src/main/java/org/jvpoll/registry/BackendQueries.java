package org.jvpoll.registry;

import java.util.ServiceLoader;

/**
 * What the enum {@code org.jvpoll.Backend} asks of the backend layer, keyed by the backend's id.
 *
 * <p>{@code Backend} sits in the bottom layer (the public exceptions carry it), the backend
 * implementations above it; this interface, implemented by {@code org.jvpoll.backend.Backends}
 * and found with {@link ServiceLoader} (the module's {@code provides}, or META-INF/services on the
 * class path), lets the enum query them without a package cycle. It imports only java.*.
 */
public interface BackendQueries {
    /** @return whether the backend with {@code id} can create fds on this machine */
    boolean isAvailable(String id);

    /** @return why the backend with {@code id} is or is not available */
    String availability(String id);

    /** @return the events the backend with {@code id} can express */
    int supportedEvents(String id);

    /** @return the events the backend with {@code id} carries by default (no expectedEvents) */
    int carriedEvents(String id);

    /**
     * @return the backend layer's implementation
     * @throws IllegalStateException if none is installed (a jvpoll-core jar without its service entry)
     */
    static BackendQueries get() {
        return Installed.INSTANCE;
    }

    /** The implementation, looked up once. */
    final class Installed {
        private Installed() {}

        static final BackendQueries INSTANCE = ServiceLoader.load(BackendQueries.class, BackendQueries.class.getClassLoader())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + BackendQueries.class.getName()
                        + " implementation found: jvpoll-core's module descriptor or its"
                        + " META-INF/services entry is missing"));
    }
}
