package org.jvpoll;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.jvpoll.backend.Backends;
import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.testing.Skip;

/**
 * The whole behaviour suite for the dev-vpoll backend, against a real device: a FUSE-served
 * vpoll file (what {@code jvpoll serve} provides) at {@code -Djvpoll.devvpoll.path}. The dev-vpoll
 * code path (open + ioctl) is thereby exercised on machines without the vpoll module.
 *
 * <p>Run by its own Surefire execution ({@code dev-vpoll-over-fuse} in the pom), which sets
 * {@code jvpoll.devvpoll.path} before the backends are first used and limits the suite to
 * dev-vpoll ({@code jvpoll.test.backends}); the other backends run in the main execution.
 */
class DevVpollOverFuseTest extends BackendBehaviourTest {
    private static FuseMount served;

    @BeforeAll
    static void serveTheDevice() throws IOException {
        String path = System.getProperty(Backends.DEV_VPOLL_PATH_PROPERTY);
        String why = path == null ? "run by the dev-vpoll-over-fuse execution, which sets -D" + Backends.DEV_VPOLL_PATH_PROPERTY
                : !Backend.FUSE.isAvailable() ? "FUSE not available here: " + Backend.FUSE.availability()
                : org.jvpoll.syscall.Creds.geteuid() != 0 ? "serving a device for another backend's suite needs root here" : null;
        if (why != null) {
            throw Skip.because("dev-vpoll over a served FUSE file: " + why);
        }
        served = FuseMount.mount(Path.of(path), ProcessMount.options(), line -> System.out.println("serve: " + line));
        System.out.println("dev-vpoll suite runs against a FUSE-served vpoll file at " + served.path());
        if (!Backend.DEV_VPOLL.isAvailable()) {
            throw new AssertionError("dev-vpoll does not accept the served file: " + Backend.DEV_VPOLL.availability());
        }
    }

    @AfterAll
    static void stopServing() {
        if (served != null) {
            served.close();
        }
    }
}
