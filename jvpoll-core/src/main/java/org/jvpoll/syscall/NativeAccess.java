package org.jvpoll.syscall;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * What happens when the JVM denies jvpoll native access ({@code --illegal-native-access=deny},
 * the JDK's announced future default, without {@code --enable-native-access}): every system call
 * fails with an {@link IllegalCallerException} that names the flag to add, the first call and
 * every later one alike. Without this, the first call would fail in a class initializer
 * (ExceptionInInitializerError) and every later one with NoClassDefFoundError, naming no flag.
 */
public final class NativeAccess {
    private NativeAccess() {}

    /** @return the flag that grants jvpoll native access as it runs now (module path or class path) */
    public static String enableFlag() {
        Module module = NativeAccess.class.getModule();
        return "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
    }

    /** @return the error for a system call made while native access is denied ({@code cause}) */
    static IllegalCallerException denied(IllegalCallerException cause) {
        String where = NativeAccess.class.getModule().isNamed()
                ? "jvpoll is on the module path; on the class path the flag is --enable-native-access=ALL-UNNAMED"
                : "jvpoll is on the class path; on the module path the flag is --enable-native-access=org.jvpoll, "
                        + "in an executable jar's manifest the line Enable-Native-Access: ALL-UNNAMED";
        return new IllegalCallerException("jvpoll makes system calls through java.lang.foreign and this JVM denies it "
                + "native access: start java with " + enableFlag() + " (" + where + ")", cause);
    }

    /**
     * @param type  the type of the downcall handle that could not be made
     * @param cause why the linker refused it
     * @return a handle of {@code type} that throws {@link #denied} whenever it is invoked
     */
    static MethodHandle deniedHandle(MethodType type, IllegalCallerException cause) {
        try {
            MethodHandle make = MethodHandles.lookup()
                    .findStatic(NativeAccess.class, "denied",
                            MethodType.methodType(IllegalCallerException.class, IllegalCallerException.class))
                    .bindTo(cause);
            MethodHandle thrower = MethodHandles.throwException(type.returnType(), IllegalCallerException.class);
            return MethodHandles.dropArguments(MethodHandles.foldArguments(thrower, make), 0, type.parameterList());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
