/**
 * jvpoll-net: a user-level TCP/IP stack (lwIP, Debian's liblwip0, through FFM) whose sockets are
 * vpoll fds, so they wait next to kernel sockets in any poll/select/epoll loop, a JDK Selector or
 * a Netty event loop ({@link org.jvpoll.net.NetStack}).
 *
 * <p>Only {@code org.jvpoll.net} is exported; the FFM facades over lwIP and the C library are in
 * the internal package {@code org.jvpoll.net.lwip}. Run with
 * {@code --enable-native-access=org.jvpoll,org.jvpoll.net} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path).
 */
module org.jvpoll.net {
    requires transitive org.jvpoll;

    exports org.jvpoll.net;
}
