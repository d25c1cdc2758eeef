package org.jvpoll.syscall;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * The one wrapper of the system-call layer: links C library functions so that every call returns
 * the kernel's own raw convention, and turns failed results into {@link VpollException}s.
 *
 * <p>{@link #link} gives a handle with the C function's parameters (no capture segment) whose
 * result is widened to {@code long}: {@code >= 0} is the function's result, {@code < 0} is
 * {@code -errno}. The handle captures errno with {@link Linker.Option#captureCallState} into a
 * per-thread buffer, so a call allocates nothing. A facade method is then: invoke the handle
 * ({@code invokeExact} needs the exact static type, so that one line stays in each facade), then
 * {@link #check} (or compare with {@link #WOULD_BLOCK} / {@link #INTERRUPTED} where the method
 * documents those results). See the package documentation for the error convention.
 */
public final class Syscall {
    private Syscall() {}

    /** The result of a method documented to return it: the call would block (EAGAIN). */
    public static final int WOULD_BLOCK = -Errno.EAGAIN;
    /** The result of a waiting method documented to return it: a signal interrupted it (EINTR). */
    public static final int INTERRUPTED = -Errno.EINTR;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture buffer per thread: the downcall writes errno into it right after the call. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static final MethodHandle STATE_GETTER;
    private static final MethodHandle RAW_RESULT;

    static {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            STATE_GETTER = lookup.findStatic(Syscall.class, "state", MethodType.methodType(MemorySegment.class));
            RAW_RESULT = lookup.findStatic(Syscall.class, "rawResult",
                    MethodType.methodType(long.class, long.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Links {@code name} from the C library.
     *
     * @return a handle of the function's parameter types returning {@code long}: the result, or
     *         {@code -errno} if the function returned a negative value
     * @throws UnsatisfiedLinkError if the C library lacks the function
     */
    static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return raw(downcall(find(name), descriptor));
    }

    /** As {@link #link}, or null if the C library lacks {@code name}. */
    static MethodHandle linkOptional(String name, FunctionDescriptor descriptor) {
        return LIBC.find(name).map(symbol -> raw(downcall(symbol, descriptor))).orElse(null);
    }

    /** As {@link #link} for a variadic function; {@code firstVariadic} is the index of "...". */
    static MethodHandle linkVariadic(String name, FunctionDescriptor descriptor, int firstVariadic) {
        return raw(downcall(find(name), descriptor, Linker.Option.firstVariadicArg(firstVariadic)));
    }

    private static MemorySegment find(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("C library has no symbol " + name));
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(MemorySegment symbol, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        try {
            return LINKER.downcallHandle(symbol, descriptor, options);
        } catch (IllegalCallerException e) {
            // Native access denied: a handle that fails naming the flag to add ({@link NativeAccess}),
            // so no facade's initializer fails. With captureCallState the handle takes the capture
            // segment first.
            return NativeAccess.deniedHandle(descriptor.toMethodType().insertParameterTypes(0, MemorySegment.class), e);
        }
    }

    /** (state, args...) -&gt; int|long becomes (args...) -&gt; long with errno folded into the result. */
    private static MethodHandle raw(MethodHandle downcall) {
        MethodType type = downcall.type();
        MethodHandle widened = downcall.asType(type.changeReturnType(long.class));
        int arity = type.parameterCount(); // includes the state segment at 0
        // (state, args..., state) -> long
        MethodHandle checked = MethodHandles.collectArguments(RAW_RESULT, 0, widened);
        int[] reorder = new int[arity + 1];
        for (int i = 0; i < arity; i++) {
            reorder[i] = i;
        }
        reorder[arity] = 0;
        MethodHandle shared = MethodHandles.permuteArguments(checked, type.changeReturnType(long.class), reorder);
        return MethodHandles.foldArguments(shared, STATE_GETTER);
    }

    private static long rawResult(long result, MemorySegment state) {
        return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
    }

    /** @return this thread's errno capture buffer, the argument {@link #raw} folds in */
    private static MemorySegment state() {
        return STATE.get();
    }

    /**
     * @param raw a linked handle's result
     * @param call the call as messages show it, for example {@code "epoll_create1"}
     * @return {@code raw} if the call succeeded
     * @throws VpollException naming {@code call} and the errno if it failed
     */
    static long check(long raw, String call) throws VpollException {
        if (raw < 0) {
            throw failure(call, raw);
        }
        return raw;
    }

    /** As {@link #check(long, String)}; the message shows {@code call(arg)}. */
    static long check(long raw, String call, long arg) throws VpollException {
        if (raw < 0) {
            throw failure(call + "(" + arg + ")", raw);
        }
        return raw;
    }

    /** As {@link #check(long, String)}; the message shows {@code call(arg0, arg1)}. */
    static long check(long raw, String call, long arg0, long arg1) throws VpollException {
        if (raw < 0) {
            throw failure(call + "(" + arg0 + ", " + arg1 + ")", raw);
        }
        return raw;
    }

    /** @return the exception for a failed call: {@code raw} is {@code -errno} */
    static VpollException failure(String call, long raw) {
        return new VpollException(call, (int) -raw, null);
    }

    /** @return {@code "0x"} and the hexadecimal digits of {@code bits}, for messages */
    static String hex(long bits) {
        return "0x" + Long.toHexString(bits);
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
