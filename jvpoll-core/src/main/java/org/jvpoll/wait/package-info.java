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
 * {@link java.nio.channels.ClosedChannelException}. A wait is a foreign-function call that blocks
 * in the kernel, which pins a virtual thread to its carrier for the whole wait: run waits on
 * platform threads. Details and examples: {@code docs/wait.md}.
 */
package org.jvpoll.wait;
