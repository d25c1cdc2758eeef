package org.jvpoll.backend;

import org.jvpoll.Backend;
import org.jvpoll.registry.BackendQueries;

/**
 * The backend implementations, one per {@link Backend}; also what the enum asks of them
 * ({@link BackendQueries}, found with ServiceLoader so the enum need not import this layer).
 */
public final class Backends implements BackendQueries {
    /** For ServiceLoader only; the implementations are static. */
    public Backends() {}

    /** System property naming the device the dev-vpoll backend opens. */
    public static final String DEV_VPOLL_PATH_PROPERTY = "jvpoll.devvpoll.path";

    private static final VpollBackend EVENTFD = new EventFdBackend(KernelIo.SYSTEM);
    private static final VpollBackend DEV_VPOLL = new DevVpollBackend(KernelIo.SYSTEM,
            System.getProperty(DEV_VPOLL_PATH_PROPERTY, DevVpollBackend.DEFAULT_PATH));
    private static final VpollBackend EMULATION = new UnixEmulationBackend();
    private static final VpollBackend EMULATION_TCP = new TcpEmulationBackend();
    private static final VpollBackend FUSE = new FuseBackend();

    public static VpollBackend get(Backend b) {
        return switch (b) {
            case EVENTFD -> EVENTFD;
            case DEV_VPOLL -> DEV_VPOLL;
            case EMULATION -> EMULATION;
            case EMULATION_TCP -> EMULATION_TCP;
            case FUSE -> FUSE;
        };
    }

    @Override
    public boolean isAvailable(String id) {
        return get(Backend.fromId(id)).availability().available();
    }

    @Override
    public String availability(String id) {
        return get(Backend.fromId(id)).availability().detail();
    }

    @Override
    public int supportedEvents(String id) {
        return get(Backend.fromId(id)).supportedEvents();
    }

    @Override
    public int carriedEvents(String id) {
        return get(Backend.fromId(id)).carriedEvents();
    }
}
