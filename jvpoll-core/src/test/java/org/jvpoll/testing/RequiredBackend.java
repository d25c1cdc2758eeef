package org.jvpoll.testing;

/** The qemu guests name the backend they exist for; a test must then fail rather than skip it. */
public final class RequiredBackend {
    private RequiredBackend() {}

    /** System property naming the backend that must be available (e.g. dev-vpoll, eventfd). */
    public static final String PROPERTY = "jvpoll.require.backend";

    /** @return the required backend id, or null outside a test guest */
    public static String id() {
        return System.getProperty(PROPERTY);
    }
}
