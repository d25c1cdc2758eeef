package org.jvpoll.wait;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JVM-installed handler for SIGWINCH, so a signal interrupts a wait with EINTR (a signal with
 * no handler and an "ignore" default action never does: the kernel restarts the call).
 * Installed through {@code sun.misc.Signal} by reflection, which keeps the strict compiler quiet
 * about the jdk.unsupported API.
 */
final class SignalFixture {
    private SignalFixture() {}

    static final int SIGNAL = SignalSet.SIGWINCH;
    static final AtomicInteger HANDLED = new AtomicInteger();
    private static boolean installed;

    static synchronized void installHandler() throws ReflectiveOperationException {
        if (installed) {
            return;
        }
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        Object signal = signalClass.getConstructor(String.class).newInstance("WINCH");
        InvocationHandler count = (proxy, method, args) -> switch (method.getName()) {
            case "handle" -> {
                HANDLED.incrementAndGet();
                yield null;
            }
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> "SIGWINCH counter";
        };
        Object handler = Proxy.newProxyInstance(SignalFixture.class.getClassLoader(), new Class<?>[] {handlerClass}, count);
        signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
        installed = true;
    }
}
