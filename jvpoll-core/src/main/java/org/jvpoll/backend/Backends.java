package org.jvpoll.backend;

import org.jvpoll.Backend;

/** The backend implementations, one per {@link Backend}. */
public final class Backends {
    private Backends() {}

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
}
