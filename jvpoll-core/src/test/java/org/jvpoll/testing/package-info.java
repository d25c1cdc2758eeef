/**
 * The test kit: what every jvpoll test uses instead of writing its own.
 * <ul>
 * <li>{@link org.jvpoll.testing.BackendSelection}: which backends a run covers
 *     ({@code -Djvpoll.test.backends=a,b}) and which must be present ({@code -Djvpoll.require.backend=x},
 *     set by the qemu guests: missing means FAIL, not skip). {@code @ExtendWith(BackendSelection.class)}
 *     applies it to every {@code Backend} argument; {@code BackendSelection.options(b)} to a backend a
 *     test picks itself.
 * <li>{@link org.jvpoll.testing.Skip}: the one way to skip, printing {@code SKIP why}
 *     ({@code throw Skip.because(why)}).
 * <li>{@link org.jvpoll.testing.BlockedThreads} and {@link org.jvpoll.testing.WaitingThread}: act on
 *     a waiter once it sleeps in poll/select/epoll (or io_uring_enter), read from /proc, or once a
 *     virtual thread is parked; never "sleep to let it block".
 * <li>{@link org.jvpoll.testing.ChildProcess}: child JVMs (the running JDK, this class path) and other
 *     processes, with output kept, bounded waits and a kill on timeout;
 *     {@link org.jvpoll.testing.ChildProcess.ReadableClassPath} for a child run as another user
 *     (the checkout may sit in a 0700 folder).
 * <li>{@link org.jvpoll.testing.OpenDescriptors}, {@link org.jvpoll.testing.Probe}: descriptor counts
 *     and foreign-style poll/epoll observation.
 * </ul>
 */
package org.jvpoll.testing;
