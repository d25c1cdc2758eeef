package org.jvpoll.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.netty.VpollNetty;

/**
 * A user-level connection on a Netty epoll event loop (jvpoll-netty), next to a Netty epoll
 * server on a kernel socket in the same loop: both echo a kernel client's round trips.
 */
final class NettyScenario {
    private NettyScenario() {}

    static void run(VpollFd.Options opts) throws Exception {
        if (!Epoll.isAvailable()) {
            System.out.println("SKIP netty: Netty's epoll transport is not available: " + Epoll.unavailabilityCause());
            return;
        }
        int rounds = 100;
        IoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (NetStack net = NetScenarios.stack(opts); TcpListener l = net.listen(7600)) {
            IoEventLoop loop = group.next();
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg); // echo on a kernel socket
                        }
                    }).bind(NetScenarios.KERNEL_IP, 7601).sync().channel();
            NetScenarios.EchoClient toUser = new NetScenarios.EchoClient(new InetSocketAddress(NetScenarios.STACK_IP, 7600), rounds);
            NetScenarios.EchoClient toNetty = new NetScenarios.EchoClient(new InetSocketAddress(NetScenarios.KERNEL_IP, 7601), rounds);
            toUser.start();
            toNetty.start();
            TcpSocket c = l.accept();
            c.configureBlocking(false);
            AtomicLong echoed = new AtomicLong();
            AtomicReference<Throwable> error = new AtomicReference<>();
            CountDownLatch ended = new CountDownLatch(1);
            VpollNetty.register(loop, c.vpollFd(), Events.IN, (reg, ev) -> {
                try {
                    byte[] buf = new byte[8192];
                    int n = c.read(buf, 0, buf.length);
                    if (n < 0) {
                        reg.close();
                        ended.countDown();
                    } else if (n > 0) {
                        c.configureBlocking(true); // small echoes: they fit lwIP's send buffer
                        c.write(buf, 0, n);
                        c.configureBlocking(false);
                        echoed.addAndGet(n);
                    }
                } catch (IOException e) {
                    error.set(e);
                    reg.close();
                    ended.countDown();
                }
            }).sync();
            toUser.join(20_000);
            toNetty.join(20_000);
            NetScenarios.check(ended.await(10, TimeUnit.SECONDS), "the user-level connection ended");
            NetScenarios.check(error.get() == null, "no error: " + error.get());
            NetScenarios.check(toUser.ok && toNetty.ok, "both clients got their echoes: user " + toUser.error + ", netty " + toNetty.error);
            c.close();
            server.close().sync();
            System.out.println("PASS netty: one Netty epoll loop echoed " + echoed.get() + " bytes on a user-level socket "
                    + "(jvpoll-netty) and served a kernel socket, " + rounds + " round trips each");
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
