package org.jvpoll.syscall;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.jvpoll.VpollException;

/**
 * Shared plumbing of the system-call layer: symbol lookup in the C library, downcall handles that
 * capture {@code errno}, and a per-thread errno capture buffer so no call allocates.
 *
 * <p>Every facade in this package ({@link Unistd}, {@link EventFd}, {@link Ioctl}, {@link Poll},
 * {@link Epoll}, {@link Sockets}) builds its handles here. Handles take the capture segment as
 * their first argument (FFM's {@code captureCallState} convention).
 */
public final class Syscall {
    private Syscall() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture buffer per thread: the downcall writes errno into it right after the call. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    @SuppressWarnings("restricted")
    static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library has no symbol " + name));
        return downcall(symbol, descriptor, CAPTURE_ERRNO);
    }

    /**
     * The linker's downcall handle, or, when the JVM denies native access, one that fails with a
     * message naming the flag to add ({@link NativeAccess}), so no facade's initializer fails.
     */
    @SuppressWarnings("restricted")
    private static MethodHandle downcall(MemorySegment symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        try {
            return LINKER.downcallHandle(symbol, descriptor, options);
        } catch (IllegalCallerException e) {
            // With captureCallState the handle takes the capture segment first.
            return NativeAccess.deniedHandle(descriptor.toMethodType().insertParameterTypes(0, MemorySegment.class), e);
        }
    }

    /** @return a handle for {@code name}, or null if the C library lacks it */
    @SuppressWarnings("restricted")
    static MethodHandle optionalHandle(String name, FunctionDescriptor descriptor) {
        return LIBC.find(name).map(symbol -> downcall(symbol, descriptor, CAPTURE_ERRNO)).orElse(null);
    }

    /** A handle for a variadic C function; {@code firstVariadic} is the index of the "..." argument. */
    @SuppressWarnings("restricted")
    static MethodHandle variadic(String name, FunctionDescriptor descriptor, int firstVariadic) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library has no symbol " + name));
        return downcall(symbol, descriptor, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** @return this thread's errno capture buffer, to pass as a handle's first argument */
    static MemorySegment state() {
        return STATE.get();
    }

    /** @return the errno captured by the last call that used {@code state} */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static VpollException error(String call, MemorySegment state) {
        return new VpollException(call, errno(state), null);
    }

    /** Downcalls throw no checked exceptions; anything else is a bug, surfaced unchanged. */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a native call", t);
    }

    /** @return a segment of {@code size} bytes at {@code address}, for kernel-owned buffers */
    @SuppressWarnings("restricted")
    static MemorySegment wrap(MemorySegment pointer, long size) {
        return pointer.reinterpret(size);
    }
}
