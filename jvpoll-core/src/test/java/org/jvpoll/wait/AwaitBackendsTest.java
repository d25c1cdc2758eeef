package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.WaitingThread;

/**
 * {@link VpollFd#await} on every backend this machine has (the others are skipped, saying why): a
 * parked virtual thread and a platform thread in poll(2) are woken by a change, and a close ends a
 * parked await. The backends differ in how a change wakes waiters (a socket's state, a FUSE poll
 * notification, the kernel's wake-up), so each is checked.
 */
@ExtendWith(BackendSelection.class)
class AwaitBackendsTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void awaitIsWokenByAChangeAndEndedByACloseOnEveryBackend(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        try (VpollFd vfd = VpollFd.create(0, options)) {
            Parked<Integer> v = Parked.virtual(() -> vfd.await(Events.IN | Events.OUT, Duration.ofSeconds(10))).parked();
            vfd.add(Events.OUT);
            assertEquals(Events.OUT, v.get());
            WaitingThread<Integer> p = WaitingThread.start(() -> vfd.await(Events.IN, Duration.ofSeconds(10))).blocked();
            vfd.add(Events.IN);
            assertEquals(Events.IN, p.get());
        }
        VpollFd closing = VpollFd.create(0, options);
        Parked<Integer> v = Parked.virtual(() -> closing.await(Events.IN, null)).parked();
        closing.close();
        assertInstanceOf(ClosedChannelException.class, v.failure());
    }
}
