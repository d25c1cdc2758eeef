package org.jvpoll.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.jvpoll.Backend;

/**
 * The {@code jvpoll} command-line tool.
 *
 * <pre>
 * jvpoll info [--backend ID]      backends, the chosen one, and live-measured fidelity tables
 * jvpoll demo [--backend ID] [--delay-ms N]
 *                                 libvpoll's epoll demo: a waiter prints GOT event N
 * jvpoll serve [PATH] [--mode OCTAL] [--readers N] [--request-timeout S] [--spin-us N] [--mounter M]
 *              [--[no-]allow-other]
 *                                 serve a /dev/vpoll-compatible file over FUSE until SIGTERM/SIGINT
 * jvpoll --version, jvpoll help [COMMAND], jvpoll COMMAND --help
 * </pre>
 *
 * <p>Exit status: 0 done, 1 failed (including a forced backend that is missing), 2 bad command line.
 */
public final class JvpollCommand {
    private JvpollCommand() {}

    static final long MAX_DELAY_MS = 60_000;

    /**
     * Runs one command and exits with its status.
     *
     * @param args the command line
     */
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
        if (args.length == 0) {
            usage(out);
            return 2;
        }
        String command = args[0];
        if (command.equals("--version") || command.equals("version")) {
            out.println(version());
            return 0;
        }
        if (command.equals("help") || command.equals("--help") || command.equals("-h")) {
            if (args.length > 1) {
                return help(args[1], out);
            }
            usage(out);
            return 0;
        }
        if (Arrays.asList(args).subList(1, args.length).stream().anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
            return help(command, out);
        }
        if (command.equals("serve")) {
            return Serve.run(args, out, err);
        }
        if (command.equals("bench")) {
            throw new IllegalArgumentException("bench moved to the benchmark module: run bin/bench-fuse");
        }
        if (!command.equals("info") && !command.equals("demo")) {
            throw new IllegalArgumentException("unknown command " + command + " (try: jvpoll help)");
        }
        Backend backend = null;
        long delayMs = 300;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = backendOption(value(args, ++i, "--backend"));
                case "--delay-ms" -> {
                    if (!command.equals("demo")) {
                        throw new IllegalArgumentException(command + ": unknown option --delay-ms (try: jvpoll " + command + " --help)");
                    }
                    delayMs = longOption(args, ++i, "--delay-ms", 1, MAX_DELAY_MS);
                }
                default -> throw new IllegalArgumentException(command + ": unknown option " + args[i]
                        + " (try: jvpoll " + command + " --help)");
            }
        }
        return command.equals("info") ? info(out, err, backend) : Demo.run(out, backend, delayMs);
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** A whole number in [min, max], or an error naming the option and what it got. */
    static long longOption(String[] args, int i, String option, long min, long max) {
        String text = value(args, i, option);
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + text + ": not a whole number (expected " + min + " to " + max + ")");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(option + " " + text + ": out of range (expected " + min + " to " + max + ")");
        }
        return v;
    }

    /** {@code --backend ID}; an empty ID means the automatic choice, as for the property. */
    private static Backend backendOption(String id) {
        return id.isBlank() ? null : Backend.fromId(id.trim());
    }

    /** @return "jvpoll VERSION (JDK VERSION)" */
    static String version() throws IOException {
        Properties p = new Properties();
        try (InputStream in = JvpollCommand.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IOException("version.properties is missing from the tool's jar (a broken build)");
            }
            p.load(in);
        }
        return "jvpoll " + p.getProperty("version") + " (JDK " + Runtime.version() + ", " + System.getProperty("os.arch") + ")";
    }

    private static final String BACKENDS = "eventfd|dev-vpoll|emulation|emulation-tcp|fuse";

    private static int help(String command, PrintStream out) {
        switch (command) {
            case "info" -> {
                out.println("usage: jvpoll info [--backend " + BACKENDS + "]");
                out.println("  Lists the backends (available or missing, and why), the one VpollFd.create uses,");
                out.println("  and measures each available backend's fidelity table now (only ID's with --backend).");
                out.println("  --backend ID, like -D" + Backend.PROPERTY + "=ID, forces a backend; an empty ID means automatic.");
                out.println("  Exit status 1 if the forced backend is missing here.");
            }
            case "demo" -> {
                out.println("usage: jvpoll demo [--backend " + BACKENDS + "] [--delay-ms N]");
                out.println("  libvpoll's epoll demo: a thread adds IN, IN, IN|PRI, PRI, OUT, HUP every N ms");
                out.println("  (default 300, 1 to " + MAX_DELAY_MS + "); a waiter in epoll_wait prints and deletes each event.");
                out.println("  Exit status 0 when the events match the backend's expected output.");
            }
            case "serve" -> {
                out.println("usage: jvpoll serve [PATH] [--mode OCTAL] [--readers N] [--request-timeout SECONDS]");
                out.println("                    [--spin-us N] [--mounter auto|mount|fusermount3] [--allow-other|--no-allow-other]");
                out.println("  Serves a /dev/vpoll-compatible file at PATH over FUSE (default " + Serve.defaultPath() + ")");
                out.println("  until SIGTERM/SIGINT; as root, PATH may be /dev/vpoll (for libvpoll programs).");
            }
            default -> throw new IllegalArgumentException("unknown command " + command + " (try: jvpoll help)");
        }
        return 0;
    }

    private static void usage(PrintStream out) {
        out.println("usage: jvpoll info [--backend " + BACKENDS + "]");
        out.println("       jvpoll demo [--backend eventfd|dev-vpoll|emulation-tcp|fuse] [--delay-ms N]");
        out.println("       jvpoll serve [PATH] [--mode OCTAL] [--readers N] [--request-timeout SECONDS]");
        out.println("                    [--spin-us N] [--mounter auto|mount|fusermount3] [--allow-other|--no-allow-other]");
        out.println("           serves a /dev/vpoll-compatible file at PATH over FUSE (default " + Serve.defaultPath() + ")");
        out.println("           until SIGTERM/SIGINT; as root, PATH may be /dev/vpoll (for libvpoll programs)");
        out.println("       jvpoll COMMAND --help, jvpoll --version");
        out.println("(benchmarks: bin/bench, bin/bench-fuse, bin/bench-selector, bin/bench-vthreads)");
    }

    private static int info(PrintStream out, PrintStream err, Backend option) throws IOException {
        String property = System.getProperty(Backend.PROPERTY);
        Backend forced = option != null ? option
                : property != null && !property.isBlank() ? Backend.fromId(property.trim()) : null;
        String how = option != null ? "forced by --backend" : "forced by -D" + Backend.PROPERTY;
        out.println("jvpoll backends (in preference order):");
        for (Backend b : Backend.values()) {
            out.printf("  %-13s %-9s %s%n", b.id(), b.isAvailable() ? "available" : "missing", b.description());
            if (!b.isAvailable()) {
                out.println("                          " + b.availability());
            }
        }
        if (forced != null && !forced.isAvailable()) {
            out.println("chosen: none: " + forced.id() + " is " + how + " but missing here");
            err.println("jvpoll info: the forced backend " + forced.id() + " is missing: " + forced.availability());
            return 1;
        }
        Backend chosen = forced != null ? forced : Backend.preferred();
        out.println("chosen: " + chosen.id() + (forced != null ? " (" + how + ")" : " (automatic: the first available)"));
        List<Backend> measured = forced != null ? List.of(forced) : Backend.available();
        for (Backend b : measured) {
            out.println();
            out.println("fidelity of " + b.id() + " (measured now: set then clear each event on a fresh fd,"
                    + " checked with poll(2)):");
            out.print(Fidelity.markdown(Fidelity.measure(b)));
        }
        return 0;
    }
}
