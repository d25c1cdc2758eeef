/**
 * The system-call layer: one small facade per C header ({@link org.jvpoll.syscall.Unistd},
 * {@link org.jvpoll.syscall.Epoll}, {@link org.jvpoll.syscall.Poll}, ...), each linking its C
 * library functions through {@link org.jvpoll.syscall.Syscall}, the layer's one wrapper.
 *
 * <h2>Error convention</h2>
 * <ul>
 *   <li>A failed call throws {@link org.jvpoll.VpollException} carrying the errno; its message
 *       names the call, its arguments where they help, the errno's name and description (from
 *       {@link org.jvpoll.Errno}, the one errno table).</li>
 *   <li>Expected outcomes that are not failures are results, never exceptions, and only from the
 *       methods whose documentation names them: {@link org.jvpoll.syscall.Syscall#WOULD_BLOCK}
 *       from non-blocking I/O (read, write, send, recv, recvmsg, accept),
 *       {@link org.jvpoll.syscall.Syscall#INTERRUPTED} from the waiting calls (poll, ppoll,
 *       select, pselect, epoll_wait, epoll_pwait2) so the caller's wait loop can recompute its
 *       deadline, and "not open" (EBADF) from the two probes of numbers another thread may close
 *       ({@link org.jvpoll.syscall.Stat#identity} returns null, {@link org.jvpoll.syscall.FdTable#lseek}
 *       returns {@link org.jvpoll.syscall.FdTable#NOT_OPEN}).</li>
 *   <li>Every other call retries EINTR itself (except close, which Linux completes anyway).</li>
 * </ul>
 *
 * <h2>Structs</h2>
 * Each C struct the layer passes has one {@link java.lang.foreign.StructLayout} with named fields
 * and accessors built from it ({@code Poll.POLLFD}, {@code Epoll.EPOLL_EVENT},
 * {@code Sockets.SOCKADDR_IN}, {@code IOVEC}, {@code MSGHDR}, {@code UnixSockets.CMSGHDR},
 * {@code Stat.STATX}, {@code Timespec.TIMESPEC}, {@code TIMEVAL}, {@code Signals.SIGNALFD_SIGINFO},
 * {@code Uring.PARAMS}, {@code SQE}, {@code CQE}); no facade reads or writes a struct at a literal
 * offset. {@code StructLayoutTest} compares them with the C compiler's {@code sizeof}/{@code offsetof}.
 *
 * <h2>Layering</h2>
 * This package imports only {@code java.*} and the leaf types of {@code org.jvpoll} (Errno and the
 * exceptions); {@code LayeringTest} enforces it.
 */
package org.jvpoll.syscall;
