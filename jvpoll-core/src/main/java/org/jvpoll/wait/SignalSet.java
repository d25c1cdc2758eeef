package org.jvpoll.wait;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.StringJoiner;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.Signals;

/**
 * A set of Linux signals in a native {@code sigset_t}, for the masked waits
 * ({@link PollSet#ppoll}, {@link SelectSet#pselect}, {@link EpollSet#await(java.time.Duration, SignalSet)})
 * and for the calling thread's signal mask ({@link #block()}, {@link #unblock()}).
 *
 * <p>Signal numbers are 1..64 (the kernel's sigset is 64 bits, signal N at bit N-1).
 *
 * <p><b>The JVM uses signals itself</b> (HotSpot: SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP for
 * its own faults, SIGQUIT for thread dumps, SIGUSR2 to suspend threads, SIGINT/SIGTERM/SIGHUP for
 * shutdown hooks). Blocking those in a Java thread breaks the JVM; use signals it leaves alone
 * (SIGWINCH, SIGURG, SIGUSR1 with a handler installed, real-time signals). A signal whose default
 * action terminates the process must be blocked in every thread or handled before it is sent.
 *
 * <p><b>Threads.</b> Not synchronized: mutate a set from one thread. A set that no longer changes
 * may be passed to waits in any number of threads.
 */
public final class SignalSet {
    /** Hangup (used by the JVM for shutdown hooks). */ public static final int SIGHUP = 1;
    /** Interrupt (used by the JVM for shutdown hooks). */ public static final int SIGINT = 2;
    /** Quit (the JVM prints a thread dump). */ public static final int SIGQUIT = 3;
    /** User-defined signal 1; terminates the process unless handled or blocked. */ public static final int SIGUSR1 = 10;
    /** User-defined signal 2 (HotSpot suspends threads with it). */ public static final int SIGUSR2 = 12;
    /** Broken pipe. */ public static final int SIGPIPE = 13;
    /** Alarm clock. */ public static final int SIGALRM = 14;
    /** Termination (used by the JVM for shutdown hooks). */ public static final int SIGTERM = 15;
    /** Child stopped or exited. */ public static final int SIGCHLD = 17;
    /** Continue. */ public static final int SIGCONT = 18;
    /** Urgent socket data; ignored by default. */ public static final int SIGURG = 23;
    /** Window size change; ignored by default. */ public static final int SIGWINCH = 28;
    /** I/O possible. */ public static final int SIGIO = 29;
    /** The highest signal number (the last real-time signal). */ public static final int MAX_SIGNAL = Signals.MAX_SIGNAL;

    private final MemorySegment set;

    private SignalSet() {
        set = Arena.ofAuto().allocate(Signals.SIGSET_SIZE, 8);
    }

    /** {@return a new, empty set} */
    public static SignalSet empty() {
        return new SignalSet();
    }

    /**
     * {@return a new set holding {@code signals}}
     *
     * @param signals the signal numbers
     * @throws IllegalArgumentException if a number is outside 1..64
     */
    public static SignalSet of(int... signals) {
        SignalSet s = new SignalSet();
        for (int sig : signals) {
            s.add(sig);
        }
        return s;
    }

    /**
     * {@return the calling thread's signal mask, as a new set}
     *
     * @throws VpollException if pthread_sigmask fails
     */
    public static SignalSet threadMask() throws VpollException {
        SignalSet s = new SignalSet();
        Signals.pthreadSigmask(Signals.SIG_BLOCK, MemorySegment.NULL, s.set);
        return s;
    }

    /**
     * Blocks these signals in the calling thread (pthread_sigmask SIG_BLOCK): they stay pending
     * until unblocked, read from a signalfd, or let through by a masked wait.
     *
     * @return the thread's previous mask, to restore with {@link #setThreadMask()}
     * @throws VpollException if pthread_sigmask fails
     */
    public SignalSet block() throws VpollException {
        SignalSet old = new SignalSet();
        Signals.pthreadSigmask(Signals.SIG_BLOCK, set, old.set);
        return old;
    }

    /**
     * Unblocks these signals in the calling thread; a pending one is delivered at once.
     *
     * @return the thread's previous mask
     * @throws VpollException if pthread_sigmask fails
     */
    public SignalSet unblock() throws VpollException {
        SignalSet old = new SignalSet();
        Signals.pthreadSigmask(Signals.SIG_UNBLOCK, set, old.set);
        return old;
    }

    /**
     * Makes this set the calling thread's signal mask (pthread_sigmask SIG_SETMASK).
     *
     * @throws VpollException if pthread_sigmask fails
     */
    public void setThreadMask() throws VpollException {
        Signals.pthreadSigmask(Signals.SIG_SETMASK, set, MemorySegment.NULL);
    }

    /**
     * Adds {@code signal}.
     *
     * @param signal the signal number (for example 10 for SIGUSR1)
     * @return this set
     */
    public SignalSet add(int signal) {
        long bit = bit(signal);
        Signals.setMask(set, Signals.mask(set) | bit);
        return this;
    }

    /**
     * Removes {@code signal}.
     *
     * @param signal the signal number (for example 10 for SIGUSR1)
     * @return this set
     */
    public SignalSet remove(int signal) {
        long bit = bit(signal);
        Signals.setMask(set, Signals.mask(set) & ~bit);
        return this;
    }

    /**
     * {@return whether {@code signal} is in the set}
     *
     * @param signal the signal number (for example 10 for SIGUSR1)
     */
    public boolean contains(int signal) {
        return (Signals.mask(set) & bit(signal)) != 0;
    }

    /** {@return whether the set holds no signal} */
    public boolean isEmpty() {
        return Signals.mask(set) == 0;
    }

    /** {@return the signal numbers in the set, ascending} */
    public int[] signals() {
        long mask = Signals.mask(set);
        int[] out = new int[Long.bitCount(mask)];
        for (int i = 0, sig = 1; sig <= MAX_SIGNAL; sig++) {
            if ((mask & (1L << (sig - 1))) != 0) {
                out[i++] = sig;
            }
        }
        return out;
    }

    /** The native sigset_t, read by the kernel during a masked wait. */
    MemorySegment segment() {
        return set;
    }

    private static long bit(int signal) {
        if (signal < 1 || signal > MAX_SIGNAL) {
            throw new IllegalArgumentException("signal " + signal + " is outside 1.." + MAX_SIGNAL);
        }
        return 1L << (signal - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignalSet other && Signals.mask(set) == Signals.mask(other.set);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(Signals.mask(set));
    }

    /** {@return for example {@code "[SIGINT, SIGWINCH, 40]"}} */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int sig : signals()) {
            j.add(name(sig));
        }
        return j.toString();
    }

    private static String name(int sig) {
        return switch (sig) {
            case SIGHUP -> "SIGHUP";
            case SIGINT -> "SIGINT";
            case SIGQUIT -> "SIGQUIT";
            case SIGUSR1 -> "SIGUSR1";
            case SIGUSR2 -> "SIGUSR2";
            case SIGPIPE -> "SIGPIPE";
            case SIGALRM -> "SIGALRM";
            case SIGTERM -> "SIGTERM";
            case SIGCHLD -> "SIGCHLD";
            case SIGCONT -> "SIGCONT";
            case SIGURG -> "SIGURG";
            case SIGWINCH -> "SIGWINCH";
            case SIGIO -> "SIGIO";
            default -> Integer.toString(sig);
        };
    }
}
