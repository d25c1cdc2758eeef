/**
 * Waiting without pinning a virtual thread's carrier (internal, not exported).
 *
 * <p>{@link org.jvpoll.park.Poller} is the JDK's own design for sockets on virtual threads, for
 * any descriptor: one platform daemon thread blocked in {@code epoll_wait} on a private epoll fd,
 * each waiting virtual thread registered there once with {@code EPOLLONESHOT}, and unparked by
 * the poller when its descriptor is ready. {@link org.jvpoll.park.FdAwait} is the wait itself
 * (zero-timeout poll first, then register and park on a virtual thread; poll(2) on a platform
 * thread); {@link org.jvpoll.park.Offload} runs a blocking call on a platform helper thread for
 * waits that cannot be expressed as one descriptor (poll and select over a set).
 */
package org.jvpoll.park;
