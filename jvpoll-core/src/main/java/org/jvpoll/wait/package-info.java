/**
 * The kernel's own waiters — poll/ppoll ({@link org.jvpoll.wait.PollSet}), select/pselect
 * ({@link org.jvpoll.wait.SelectSet}, {@link org.jvpoll.wait.FdSet}) and epoll
 * ({@link org.jvpoll.wait.EpollSet}) — for any mix of vpoll fds and other descriptors: sockets,
 * pipes, eventfd, timerfd, signalfd, ttys, descriptors from native code.
 *
 * <p>Common rules: waits allocate nothing on the Java heap (native memory is reused); each waiter
 * can be woken from another thread ({@code wakeup()}; {@link java.lang.Thread#interrupt()} does not
 * reach a thread blocked in the kernel); the unmasked waits retry EINTR with the
 * time left, the masked ones ({@code ppoll}, {@code pselect}, {@code epoll_pwait2}) throw
 * {@link org.jvpoll.wait.SignalInterruptedException}; system-call failures throw
 * {@link org.jvpoll.VpollException} with the errno; a closed waiter throws
 * {@link java.nio.channels.ClosedChannelException}. On virtual threads, {@link
 * org.jvpoll.wait.Readiness#await}, {@code VpollFd.await} and {@code EpollSet.await(Duration)}
 * park through jvpoll's poller thread, and {@code PollSet.poll} and {@code SelectSet.select} run
 * the blocking call on a helper platform thread, so none of them pins the carrier; the waits with
 * a signal mask do. Details and examples: {@code docs/wait.md}.
 */
package org.jvpoll.wait;
