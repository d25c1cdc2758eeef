package org.jvpoll.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Backend;
import org.jvpoll.BackendUnavailableException;
import org.jvpoll.VpollFd;

/**
 * Runs a {@link NetScenarios} scenario in a child JVM inside a fresh network namespace
 * ({@code unshare -n}): its TAP interface, addresses and traffic exist only there, and vanish
 * with the child. Says why (SKIP) when this machine cannot: no lwIP, no root/CAP_NET_ADMIN for
 * a namespace, no /dev/net/tun, no ip(8) or curl(1).
 */
final class NetNamespace {
    private NetNamespace() {}

    private static String cachedReason;
    private static boolean probed;

    /** @return why namespace scenarios cannot run here, or null */
    static synchronized String skipReason() {
        if (probed) {
            return cachedReason;
        }
        probed = true;
        String why = NetStack.unavailableReason();
        if (why == null && !Files.exists(Path.of("/dev/net/tun"))) {
            why = "/dev/net/tun is missing (no TUN/TAP driver)";
        }
        if (why == null && !onPath("ip")) {
            why = "ip(8) is missing (apt-get install iproute2)";
        }
        if (why == null && !onPath("unshare")) {
            why = "unshare(1) is missing (apt-get install util-linux)";
        }
        if (why == null) {
            try {
                Process p = new ProcessBuilder("unshare", "-n", "ip", "tuntap", "add", "jvpprobe", "mode", "tap")
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    why = "cannot make a network namespace with a TAP interface (needs root or CAP_SYS_ADMIN+"
                            + "CAP_NET_ADMIN): unshare -n ip tuntap add: " + out;
                }
            } catch (IOException | InterruptedException e) {
                why = "cannot run unshare: " + e;
            }
        }
        cachedReason = why;
        return why;
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** @return why {@code backend} cannot make vpoll fds here, or null */
    static String backendReason(Backend backend) {
        try {
            VpollFd.create(0, VpollFd.Options.DEFAULT.backend(backend)).close();
            return null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        } catch (IOException e) {
            return backend + " backend failed: " + e;
        }
    }

    /** Runs {@code scenario} on {@code backend} in a fresh namespace. @return its output (PASS lines included) */
    static String run(String scenario, Backend backend) throws IOException, InterruptedException {
        // lo comes up before the JVM starts: the JDK decides at startup whether IPv6 exists (::1 on lo)
        List<String> cmd = new ArrayList<>(List.of("unshare", "-n", "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djvpoll.net.test.backend=" + backend.name().toLowerCase(),
                "-cp", System.getProperty("java.class.path"), NetScenarios.class.getName(), scenario));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        Thread pump = new Thread(() -> {
            try {
                byte[] b = new byte[8192];
                int n;
                while ((n = p.getInputStream().read(b)) > 0) {
                    String s = new String(b, 0, n, StandardCharsets.UTF_8);
                    synchronized (out) {
                        out.append(s);
                    }
                    System.out.print(s);
                }
            } catch (IOException ignored) {
                // the child ended
            }
        });
        pump.start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        pump.join(5000);
        String s;
        synchronized (out) {
            s = out.toString();
        }
        if (!done) {
            throw new AssertionError("scenario " + scenario + " on " + backend + " timed out after 180 s:\n" + s);
        }
        if (p.exitValue() != 0 || !s.contains("SCENARIO-DONE " + scenario)) {
            throw new AssertionError("scenario " + scenario + " on " + backend + " failed (exit " + p.exitValue() + "):\n" + s);
        }
        return s;
    }
}
