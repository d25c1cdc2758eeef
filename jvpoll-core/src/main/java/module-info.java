/**
 * jvpoll: file descriptors whose poll/select/epoll events are set from Java.
 *
 * <p>Only {@code org.jvpoll} and {@code org.jvpoll.wait} (poll, select and epoll over any fd)
 * are exported. The backends ({@code org.jvpoll.backend}), the
 * system-call layer ({@code org.jvpoll.syscall}) and the command-line tool
 * ({@code org.jvpoll.cli}) are internal to the module.
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

    // the enum Backend reaches the backend layer through this service (no package cycle)
    uses org.jvpoll.registry.BackendQueries;
    provides org.jvpoll.registry.BackendQueries with org.jvpoll.backend.Backends;
}
