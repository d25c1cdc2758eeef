/**
 * jvpoll: file descriptors whose poll/select/epoll events are set from Java.
 *
 * <p>Only {@code org.jvpoll} is exported. The backends ({@code org.jvpoll.backend}), the
 * system-call layer ({@code org.jvpoll.syscall}) and the command-line tool
 * ({@code org.jvpoll.cli}) are internal to the module.
 *
 * <p>jvpoll calls the C library through the FFM API; run with
 * {@code --enable-native-access=org.jvpoll} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path) to avoid the JDK's warning.
 */
module org.jvpoll {
    exports org.jvpoll;
}
