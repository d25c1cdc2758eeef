package org.jvpoll;

import java.io.IOException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The reliability checks for the dev-vpoll backend against a FUSE-served vpoll file, in the
 * {@code dev-vpoll-over-fuse} Surefire execution (see {@link DevVpollOverFuseTest}).
 */
class DevVpollReliabilityOverFuseTest extends BackendReliabilityTest {
    @BeforeAll
    static void serve() throws IOException {
        DevVpollOverFuseTest.serveTheDevice();
    }

    @AfterAll
    static void stop() {
        DevVpollOverFuseTest.stopServing();
    }
}
