package org.jvpoll.testing;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;

/**
 * Which backends a test run covers, from two system properties (set by the qemu guests in vm/):
 * <ul>
 * <li>{@value #ONLY} (comma-separated ids): other backends are skipped ("this run covers only ...");
 * <li>{@value #REQUIRED} (one id): that backend must be available; if it is not, its tests FAIL
 *     instead of skipping, so a guest that lost its facility cannot pass by skipping everything.
 * </ul>
 * A backend this machine lacks is otherwise skipped with the reason printed ({@link Skip}).
 * <p>
 * As a JUnit extension ({@code @ExtendWith(BackendSelection.class)} on a test class) it applies
 * these rules to every {@link Backend} argument of every test method before the method runs; code
 * that picks a backend itself calls {@link #options(Backend)}, which applies the same rules.
 */
public final class BackendSelection implements InvocationInterceptor {
    /** System property: the only backends this run covers (comma-separated ids). */
    public static final String ONLY = "jvpoll.test.backends";
    /** System property: the backend that must be available (a guest's facility). */
    public static final String REQUIRED = "jvpoll.require.backend";

    /** @return the required backend id, or null outside a test guest */
    public static String required() {
        String id = System.getProperty(REQUIRED);
        return id == null || id.isEmpty() ? null : id;
    }

    /** @return whether {@value #ONLY} lets this run cover {@code backend} (no property: every backend) */
    public static boolean covers(Backend backend) {
        String only = System.getProperty(ONLY);
        return only == null || only.isEmpty() || Arrays.stream(only.split(",")).map(String::trim).toList().contains(backend.id());
    }

    /**
     * Applies the selection to {@code backend}: returns if the test may use it, skips the test
     * (saying why) if this run does not cover it or this machine lacks it, fails it if it is
     * required but missing.
     */
    public static void check(Backend backend) {
        if (!covers(backend)) {
            throw Skip.because("this run covers only -D" + ONLY + "=" + System.getProperty(ONLY) + "; " + backend.id()
                    + " runs in the main test run");
        }
        if (!backend.isAvailable()) {
            String why = "backend " + backend.id() + " not available here: " + backend.availability();
            if (backend.id().equals(required())) {
                throw new AssertionError("required by -D" + REQUIRED + "=" + required() + ", but " + why);
            }
            throw Skip.because(why);
        }
    }

    /** @return options forcing {@code backend}, once {@link #check(Backend)} let it through */
    public static VpollFd.Options options(Backend backend) {
        check(backend);
        return VpollFd.Options.DEFAULT.backend(backend);
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        checkArguments(invocation, call.getArguments());
        invocation.proceed();
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        checkArguments(invocation, call.getArguments());
        invocation.proceed();
    }

    private static void checkArguments(Invocation<Void> invocation, List<Object> arguments) {
        for (Object a : arguments) {
            if (a instanceof Backend b) {
                try {
                    check(b);
                } catch (RuntimeException | Error e) {
                    invocation.skip(); // JUnit requires an invocation to be proceeded or skipped
                    throw e;
                }
            }
        }
    }
}
