/**
 * jvpoll: file descriptors whose poll/select/epoll events are set from Java.
 *
 * <p>Only {@code org.jvpoll} and {@code org.jvpoll.wait} (poll, select and epoll over any fd)
 * are exported to everyone. The backends ({@code org.jvpoll.backend}) and the system-call layer
 * ({@code org.jvpoll.syscall}) are internal: they are exported only to this project's own
 * command-line tool ({@code org.jvpoll.tool}) and benchmarks ({@code org.jvpoll.bench}), which
 * measure and serve what the API does not expose.
 *
 * <p>jvpoll calls the C library through the FFM API; run with
 * {@code --enable-native-access=org.jvpoll} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path) to avoid the JDK's warning.
 *
 * <p>It reads jdk.net for {@code jdk.nio.Channels.readWriteSelectableChannel}, the JDK's supported
 * way to make a selectable channel of a file descriptor ({@code VpollFd.channel()}).
 */
module org.jvpoll {
    requires jdk.net;

    exports org.jvpoll;
    exports org.jvpoll.wait;

    // Internals for the project's tool and benchmarks only (qualified: no other module can read them).
    exports org.jvpoll.backend to org.jvpoll.tool, org.jvpoll.bench;
    exports org.jvpoll.channel to org.jvpoll.bench;
    exports org.jvpoll.fuse to org.jvpoll.tool, org.jvpoll.bench;
    exports org.jvpoll.park to org.jvpoll.bench;
    exports org.jvpoll.syscall to org.jvpoll.tool, org.jvpoll.bench;

    // the enum Backend reaches the backend layer through this service (no package cycle)
    uses org.jvpoll.registry.BackendQueries;
    provides org.jvpoll.registry.BackendQueries with org.jvpoll.backend.Backends;
}
