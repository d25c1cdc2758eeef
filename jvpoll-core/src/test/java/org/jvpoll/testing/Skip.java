package org.jvpoll.testing;

import org.opentest4j.TestAbortedException;

/**
 * The one way a test skips: the reason is printed (Surefire's summary shows only a count) and the
 * test is reported as aborted, not passed. Use as {@code throw Skip.because("why")}.
 */
public final class Skip {
    private Skip() {}

    /** @return the exception that skips the current test; prints {@code SKIP why} first */
    public static TestAbortedException because(String why) {
        System.out.println("SKIP " + why);
        return new TestAbortedException("skipped: " + why);
    }

    /** Skips the current test unless {@code condition} holds. */
    public static void unless(boolean condition, String why) {
        if (!condition) {
            throw because(why);
        }
    }
}
