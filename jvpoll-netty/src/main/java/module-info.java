/**
 * Optional integration of jvpoll with Netty 4.2: a vpoll fd on a Netty NIO or epoll
 * {@code IoEventLoop}, next to Netty's own channels ({@link org.jvpoll.netty.VpollNetty}).
 *
 * <p>Netty 4.2 jars carry real module descriptors (in {@code META-INF/versions/11}), so this
 * module requires them by name. Only {@code org.jvpoll.netty} is exported; the transport
 * adapters in it are package-private. The epoll transport also needs Netty's native library at
 * run time ({@code io.netty:netty-transport-native-epoll}, classifier {@code linux-x86_64}),
 * which only the application that builds an {@code EpollIoHandler} has to add.
 */
module org.jvpoll.netty {
    requires transitive org.jvpoll;
    requires transitive io.netty.transport;
    requires transitive io.netty.common;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.unix.common;

    exports org.jvpoll.netty;
}
