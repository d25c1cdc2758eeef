/**
 * jvpoll's benchmarks, all in one module: the harness and JMH benchmarks against libvpoll and a
 * raw eventfd (bin/bench, bin/bench-vthreads), the selector benchmarks (bin/bench-selector) and the
 * backend change/wake-up table (bin/bench-fuse). Reads the library's internals through the
 * exports {@code org.jvpoll} qualifies to this module. Exports nothing.
 */
module org.jvpoll.bench {
    requires org.jvpoll;
    requires java.management;
    // JMH 1.37's jar names no module: an automatic module named after the file.
    requires jmh.core;
}
