package org.jvpoll.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;

import org.jvpoll.Backend;
import org.jvpoll.backend.Fidelity;

/**
 * The {@code jvpoll} command-line tool.
 *
 * <pre>
 * jvpoll info [--backend ID]      backends, the chosen one, and live-measured fidelity tables
 * jvpoll demo [--backend ID] [--delay-ms N]
 *                                 libvpoll's epoll demo: a waiter prints GOT event N
 * jvpoll bench [--millis N] [--wakeups N] [--rounds N]
 *                                 change cost and wake-up latency per backend, against an eventfd
 * jvpoll serve [PATH] [--mode OCTAL] [--readers N] [--request-timeout S] [--spin-us N] [--mounter M]
 *              [--[no-]allow-other]
 *                                 serve a /dev/vpoll-compatible file over FUSE until SIGTERM/SIGINT
 * </pre>
 */
public final class JvpollCommand {
    private JvpollCommand() {}

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args, System.out, System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("jvpoll: " + e.getMessage());
            rc = 2;
        } catch (IOException e) {
            System.err.println("jvpoll: " + e.getMessage());
            rc = 1;
        }
        System.exit(rc);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("serve")) {
            return Serve.run(args, out, err);
        }
        if (args[0].equals("bench")) {
            try {
                return Bench.run(args, out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("bench interrupted", e);
            }
        }
        Backend backend = null;
        long delayMs = 300;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = Backend.fromId(value(args, ++i, "--backend"));
                case "--delay-ms" -> delayMs = Long.parseLong(value(args, ++i, "--delay-ms"));
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try: jvpoll help)");
            }
        }
        return switch (args[0]) {
            case "info" -> info(out, backend);
            case "demo" -> Demo.run(out, backend, delayMs);
            default -> throw new IllegalArgumentException("unknown command " + args[0] + " (try: jvpoll help)");
        };
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(PrintStream out) {
        out.println("usage: jvpoll info [--backend eventfd|dev-vpoll|emulation|emulation-tcp|fuse]");
        out.println("       jvpoll demo [--backend eventfd|dev-vpoll|emulation-tcp|fuse] [--delay-ms N]");
        out.println("       jvpoll bench [--millis N] [--wakeups N] [--rounds N]");
        out.println("           change cost and wake-up latency of each available backend (and fuse) against an eventfd");
        out.println("       jvpoll serve [PATH] [--mode OCTAL] [--readers N] [--request-timeout SECONDS]");
        out.println("                    [--spin-us N] [--mounter auto|mount|fusermount3] [--allow-other|--no-allow-other]");
        out.println("           serves a /dev/vpoll-compatible file at PATH over FUSE (default " + Serve.defaultPath() + ")");
        out.println("           until SIGTERM/SIGINT; as root, PATH may be /dev/vpoll (for libvpoll programs)");
    }

    private static int info(PrintStream out, Backend only) throws IOException {
        out.println("jvpoll backends (in preference order):");
        for (Backend b : Backend.values()) {
            out.printf("  %-10s %-9s %s%n", b.id(), b.isAvailable() ? "available" : "missing", b.description());
            if (!b.isAvailable()) {
                out.println("             " + b.availability());
            }
        }
        out.println("chosen: " + Backend.preferred().id()
                + (System.getProperty(Backend.PROPERTY) != null ? " (forced by -D" + Backend.PROPERTY + ")" : ""));
        List<Backend> measured = only != null ? List.of(only) : Backend.available();
        for (Backend b : measured) {
            out.println();
            out.println("fidelity of " + b.id() + " (measured now: set then clear each event on a fresh fd,"
                    + " checked with poll(2)):");
            out.print(Fidelity.markdown(Fidelity.measure(b)));
        }
        return 0;
    }
}
