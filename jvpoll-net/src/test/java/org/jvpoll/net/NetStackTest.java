package org.jvpoll.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.jvpoll.Backend;
import org.jvpoll.testing.Skip;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proofs of issue 14, each in a child JVM in its own network namespace with its own TAP
 * interface (kernel side 10.77.0.1/24, the user-level stack 10.77.0.2), on the emulation backend
 * (the default on stock kernels) and on FUSE. See {@link NetScenarios} for what each one checks.
 */
class NetStackTest {

    private static void assume(Backend backend) {
        String why = NetNamespace.skipReason();
        if (why == null) {
            why = NetNamespace.backendReason(backend);
        }
        if (why != null) {
            throw Skip.because("jvpoll-net namespace scenarios on " + backend + ": " + why);
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
        "curl, EMULATION", "selector, EMULATION", "client, EMULATION", "upload, EMULATION",
        "refused, EMULATION", "reset, EMULATION", "stackclose, EMULATION", "udp, EMULATION",
        "multistack, EMULATION", "ipv6, EMULATION", "epoll, EMULATION", "netty, EMULATION",
        "curl, FUSE", "selector, FUSE", "client, FUSE", "upload, FUSE",
        "refused, FUSE", "reset, FUSE", "stackclose, FUSE", "udp, FUSE",
        "multistack, FUSE", "ipv6, FUSE", "epoll, FUSE", "netty, FUSE",
    })
    void scenario(String scenario, Backend backend) throws Exception {
        assume(backend);
        Skip.unless(!scenario.equals("curl") || NetNamespace.onPath("curl"),
                "curl scenario: curl(1) is missing (apt-get install curl)");
        String out = NetNamespace.run(scenario, backend);
        String skipped = out.lines().filter(l -> l.startsWith("SKIP " + scenario)).findFirst().orElse(null);
        if (skipped != null) {
            throw Skip.because(skipped.substring("SKIP ".length()) + " (in the child on " + backend + ")");
        }
        assertTrue(out.contains("PASS " + scenario), out);
    }
}
