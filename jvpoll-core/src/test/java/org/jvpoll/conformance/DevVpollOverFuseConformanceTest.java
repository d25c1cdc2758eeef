package org.jvpoll.conformance;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.backend.Backends;
import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.testing.Skip;

/**
 * The matrix's dev-vpoll column, against a FUSE-served vpoll file at -Djvpoll.devvpoll.path (run by
 * the dev-vpoll-over-fuse Surefire execution, which limits it to dev-vpoll), so the dev-vpoll code
 * path (open + ioctl) is measured on machines without the vpoll module.
 */
class DevVpollOverFuseConformanceTest {

    @Test
    void devVpollAgainstEveryScenario() throws Exception {
        String path = System.getProperty(Backends.DEV_VPOLL_PATH_PROPERTY);
        String why = path == null ? "run by the dev-vpoll-over-fuse execution, which sets -D" + Backends.DEV_VPOLL_PATH_PROPERTY
                : !Backend.FUSE.isAvailable() ? "FUSE not available here: " + Backend.FUSE.availability()
                : org.jvpoll.syscall.Creds.geteuid() != 0 ? "serving a device for another backend's matrix needs root here" : null;
        if (why != null) {
            throw Skip.because("dev-vpoll conformance over a served FUSE file: " + why);
        }
        try (FuseMount served = FuseMount.mount(Path.of(path), ProcessMount.options(), line -> System.out.println("serve: " + line))) {
            System.out.println("dev-vpoll conformance runs against a FUSE-served vpoll file at " + served.path());
            if (!Backend.DEV_VPOLL.isAvailable()) {
                throw new AssertionError("dev-vpoll does not accept the served file: " + Backend.DEV_VPOLL.availability());
            }
            ConformanceMatrixTest.runAndPublish();
        }
    }
}
