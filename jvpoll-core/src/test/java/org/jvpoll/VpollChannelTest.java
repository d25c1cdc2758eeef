package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.OpenDescriptors;

/** {@link VpollFd#channel()}: identity, the shared lifetime of channel and fd, no leaks. */
@ExtendWith(BackendSelection.class)
class VpollChannelTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void channelIsCreatedOnceAndIsAPlainJdkChannel(Backend backend) throws IOException {
        try (VpollFd vfd = VpollFd.create(0, BackendSelection.options(backend))) {
            SelectableChannel ch = vfd.channel();
            assertSame(ch, vfd.channel(), "the same channel every time");
            assertSame(java.nio.channels.spi.SelectorProvider.provider(), ch.provider());
            assertEquals(SelectionKey.OP_READ | SelectionKey.OP_WRITE, ch.validOps());
            assertTrue(ch.isBlocking());
            assertThrows(IllegalArgumentException.class, () -> ch.configureBlocking(false).register(Selector.open(),
                    SelectionKey.OP_ACCEPT), "OP_ACCEPT is not a valid op");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closingTheVpollFdClosesTheChannelAndViceVersa(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        VpollFd a = VpollFd.create(0, options);
        SelectableChannel chA = a.channel();
        a.close();
        assertFalse(chA.isOpen(), "VpollFd.close() closes its channel");
        assertThrows(ClosedChannelException.class, a::channel);

        VpollFd b = VpollFd.create(0, options);
        SelectableChannel chB = b.channel();
        chB.close();
        assertFalse(b.isOpen(), "closing the channel closes the VpollFd");
        assertThrows(ClosedChannelException.class, () -> b.add(Events.IN));
        assertThrows(ClosedChannelException.class, b::channel);
        b.close(); // idempotent
        chB.close();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void registeredChannelsClosedEitherWayLeakNoDescriptor(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        // An fd of the backend held open throughout keeps a FUSE mount (and its /dev/fuse
        // descriptor) from coming or going in the middle of the count.
        try (VpollFd keeper = VpollFd.create(0, options)) {
            registeredChannelsLeakNothing(options, keeper);
        }
    }

    private static void registeredChannelsLeakNothing(VpollFd.Options options, VpollFd keeper) throws IOException {
        assertTrue(keeper.isOpen());
        int before = OpenDescriptors.openCount(options);
        try (Selector selector = Selector.open()) {
            int withSelector = OpenDescriptors.countNow();
            List<VpollFd> fds = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                VpollFd vfd = VpollFd.create(Events.OUT, options);
                vfd.channel().configureBlocking(false).register(selector, SelectionKey.OP_WRITE);
                fds.add(vfd);
            }
            assertEquals(40, selector.select(1000));
            for (int i = 0; i < fds.size(); i++) {
                if (i % 2 == 0) {
                    fds.get(i).close();
                } else {
                    fds.get(i).channel().close();
                }
            }
            selector.selectNow(); // deregisters the cancelled keys: the JDK descriptors go now
            assertEquals(0, selector.keys().size());
            assertEquals(withSelector, OpenDescriptors.countNow(), "every vpoll fd and JDK descriptor closed");
        }
        assertEquals(before, OpenDescriptors.countNow());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void channelRacingCloseEndsClosedOrRefusedAndLeaksNothing(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        try (VpollFd keeper = VpollFd.create(0, options)) { // holds a FUSE mount steady, as above
            racingChannelCloses(options, keeper);
        }
    }

    private static void racingChannelCloses(VpollFd.Options options, VpollFd keeper) throws Exception {
        assertTrue(keeper.isOpen());
        int before = OpenDescriptors.openCount(options);
        for (int i = 0; i < 100; i++) {
            VpollFd vfd = VpollFd.create(0, options);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread opener = new Thread(() -> {
                try {
                    go.await();
                    outcome.set(vfd.channel());
                } catch (Exception e) {
                    outcome.set(e);
                }
            });
            opener.start();
            go.countDown();
            vfd.close();
            opener.join();
            Object o = outcome.get();
            if (o instanceof SelectableChannel ch) {
                assertFalse(ch.isOpen(), "round " + i + ": a channel made before close is closed by it");
            } else {
                assertTrue(o instanceof ClosedChannelException, "round " + i + ": " + o);
            }
        }
        assertEquals(before, OpenDescriptors.countNow(), "no descriptor leaked");
    }
}
