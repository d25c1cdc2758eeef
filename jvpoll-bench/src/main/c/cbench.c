/*
 * cbench: the C side of bin/bench. Measures, with the same method as jvpoll's harness, the
 * costs of a raw eventfd (the floor: one system call), of Debian's libvpoll (which on a kernel
 * without EFD_VPOLL emulates vpoll fds with socketpair(2)), and of the exact system calls
 * jvpoll's emulation makes (for a change of IN: one setsockopt SO_RCVLOWAT), so
 * jvpoll's own overhead over those calls can be told apart from their kernel cost.
 *
 *   cbench [--quick] [--sizes 1000,9000]   prints "RESULT metric subject param value" lines
 *   cbench serve                            the same measurements one command at a time (bin/bench)
 *   cbench waiter PID FD                    cross-process waiter for the Java harness: takes fd
 *                                           FD of process PID (pidfd_getfd), waits in epoll_wait
 *                                           for IN after each byte on stdin, and prints the
 *                                           CLOCK_MONOTONIC time of each wake-up in ns
 *                                           (pinned to the second allowed CPU, as in-process
 *                                           waiters are; the waker pins itself to the first)
 *
 * All subjects start with no events (libvpoll: vpoll_create(0, ...)); jvpoll's VpollFd.create(0)
 * leaves the same state, so the replay clears OUT at creation as jvpoll does.
 * Built by bin/bench with: gcc -O2 -o cbench cbench.c -lvpoll -lpthread
 */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vpoll.h>

#define BATCH 64

static void die(const char *what) { perror(what); exit(2); }

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- subjects: how to create, set IN, clear IN, SET, and change nothing ---- */

struct subject {
    const char *name;
    int (*create)(void);
    void (*add)(int fd);      /* raise IN */
    void (*del)(int fd);      /* clear IN */
    void (*set)(int fd);      /* SET: the whole mask becomes IN (from empty) */
    void (*nochange)(int fd); /* ADD IN while IN is set */
    void (*destroy)(int fd);
};

static uint64_t one = 1;
static void efd_create_check(int fd) { if (fd < 0) die("eventfd"); }
static int efd_create(void) { int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); efd_create_check(fd); return fd; }
static void efd_add(int fd) { if (write(fd, &one, 8) != 8) die("write(eventfd)"); }
static void efd_del(int fd) { uint64_t v; if (read(fd, &v, 8) != 8) die("read(eventfd)"); }
static void efd_close(int fd) { close(fd); }

static int lv_create(void) { int fd = vpoll_create(0, FD_CLOEXEC); if (fd < 0) die("vpoll_create"); return fd; }
static void lv_add(int fd) { if (vpoll_ctl(fd, VPOLL_CTL_ADDEVENTS, EPOLLIN) < 0) die("vpoll_ctl(ADD)"); }
static void lv_del(int fd) { if (vpoll_ctl(fd, VPOLL_CTL_DELEVENTS, EPOLLIN) < 0) die("vpoll_ctl(DEL)"); }
static void lv_set(int fd) { if (vpoll_ctl(fd, VPOLL_CTL_SETEVENTS, EPOLLIN) < 0) die("vpoll_ctl(SET)"); }
static void lv_close(int fd) { vpoll_close(fd); }

/* jvpoll's emulation, replayed: the system calls UnixEmulationBackend makes, in its order. A is one
 * end of an AF_UNIX stream socket pair, B the other; IN is a byte B sent and A has not read (set:
 * B sends one, clear: A reads it); OUT is clear while 1 KiB A sent sits unread in B under A's
 * minimal SO_SNDBUF. Creation (SET 0 from the connected state {OUT}): socketpair, the filler,
 * SO_SNDBUF. No confirming poll: unix_poll() reads the state synchronously. */
static int replay_peer[1 << 16];
static void setint(int fd, int level, int name, int value) {
    if (setsockopt(fd, level, name, &value, sizeof value) < 0) die("setsockopt");
}
static int replay_create(void) {
    static char filler[1024];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair");
    if (sv[0] >= (1 << 16)) die("socketpair: fd too large");
    replay_peer[sv[0]] = sv[1];
    if (send(sv[0], filler, sizeof filler, MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof filler) die("send(filler)");
    setint(sv[0], SOL_SOCKET, SO_SNDBUF, 1);
    return sv[0];
}
static void replay_add(int fd) {
    if (send(replay_peer[fd], "i", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) die("send(IN byte)");
}
static void replay_del(int fd) {
    char buf[16];
    if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 1) die("recv(IN bytes)");
}
static void replay_close(int fd) { close(replay_peer[fd]); close(fd); }

static const struct subject EVENTFD = {"c-eventfd", efd_create, efd_add, efd_del, efd_add, efd_add, efd_close};
static const struct subject LIBVPOLL = {"c-libvpoll", lv_create, lv_add, lv_del, lv_set, lv_add, lv_close};
static const struct subject REPLAY = {"c-replay-jvpoll-emulation", replay_create, replay_add, replay_del,
                                      replay_add, replay_add, replay_close};

static void result(const char *metric, const char *subject, long param, double value) {
    printf("RESULT\t%s\t%s\t%ld\t%.6g\n", metric, subject, param, value);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n) { qsort(v, n, sizeof *v, cmp_double); return v[n / 2]; }

/* ---- ctl cost: BATCH fds, time BATCH changes of one kind; untimed reset; median of batches ---- */

/* An idle second thread, for measuring as a multi-threaded process (a JVM always is): the kernel
 * then takes and drops a reference on the file at every system call on an fd (fdget), which a
 * single-threaded process skips. */
static int idle_pipe[2];
static void *idle_main(void *arg) {
    char c;
    (void) arg;
    while (read(idle_pipe[0], &c, 1) < 0 && errno == EINTR) { }
    return NULL;
}

enum change { ADD, DEL, SET, NOCHANGE };
static void ctl_cost_as(const struct subject *s, int batches, const char *name);
static void ctl_cost(const struct subject *s, int batches) { ctl_cost_as(s, batches, s->name); }
static void ctl_cost_threaded(const struct subject *s, int batches) {
    pthread_t idle;
    if (pipe2(idle_pipe, O_CLOEXEC) < 0) die("pipe");
    pthread_create(&idle, NULL, idle_main, NULL);
    char name[96];
    snprintf(name, sizeof name, "%s-mt", s->name);
    ctl_cost_as(s, batches, name);
    if (write(idle_pipe[1], "q", 1) != 1) die("write(idle)");
    pthread_join(idle, NULL);
    close(idle_pipe[0]);
    close(idle_pipe[1]);
}
static void ctl_cost_as(const struct subject *s, int batches, const char *name) {
    int fds[BATCH];
    for (int i = 0; i < BATCH; i++) fds[i] = s->create();
    static const char *names[] = {"ctl.add", "ctl.del", "ctl.set", "ctl.nochange"};
    double *per = malloc(sizeof(double) * batches);
    for (int kind = ADD; kind <= NOCHANGE; kind++) {
        for (int rep = -batches / 4; rep < batches; rep++) { /* first quarter: warm-up */
            /* untimed: the state the timed change starts from */
            for (int i = 0; i < BATCH; i++) {
                if (kind == DEL || kind == NOCHANGE) s->add(fds[i]);
            }
            int64_t t0 = now_ns();
            for (int i = 0; i < BATCH; i++) {
                switch (kind) {
                case ADD: s->add(fds[i]); break;
                case DEL: s->del(fds[i]); break;
                case SET: s->set(fds[i]); break;
                case NOCHANGE: s->nochange(fds[i]); break;
                }
            }
            int64_t t1 = now_ns();
            if (rep >= 0) per[rep] = (double) (t1 - t0) / BATCH;
            for (int i = 0; i < BATCH; i++) {
                if (kind != DEL) s->del(fds[i]);
            }
        }
        result(names[kind], name, 0, median(per, batches));
    }
    free(per);
    for (int i = 0; i < BATCH; i++) s->destroy(fds[i]);
}

/* ---- wake-up latency: a waiter blocked in epoll_wait for IN, woken by a change elsewhere ---- */

/* Wake-up tests pin the waker to CPU 0 and the waiter to CPU 1 (of the CPUs allowed), so the
 * waiter is really blocked in epoll_wait when the change comes, not queued behind a spinning
 * waker on the same CPU. Returns the previous mask via *old if old is not NULL. */
static void pin(int nth, cpu_set_t *old) {
    cpu_set_t allowed, one;
    sched_getaffinity(0, sizeof allowed, &allowed);
    if (old) *old = allowed;
    int seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &allowed) && seen++ == nth) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
    }
}

static void waiter_loop(int vfd, int go_fd, int ack_fd) {
    pin(1, NULL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, vfd, &ev) < 0) die("waiter: epoll");
    char c;
    while (read(go_fd, &c, 1) == 1 && c == 'g') {
        int n;
        do n = epoll_wait(ep, &ev, 1, 10000); while (n < 0 && errno == EINTR);
        int64_t t1 = now_ns();
        if (n != 1) { fprintf(stderr, "waiter: no wake-up within 10 s\n"); exit(3); }
        char line[32];
        int len = snprintf(line, sizeof line, "%lld\n", (long long) t1);
        if (write(ack_fd, line, len) != len) die("waiter: write");
    }
    close(ep);
}

/* Spins like Java's Thread.onSpinWait() (PAUSE on x86), so both wakers idle their CPU alike. */
static void spin_ns(int64_t ns) {
    int64_t until = now_ns() + ns;
    while (now_ns() < until) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

struct thread_waiter { int vfd; int go; int ack; };
static void *thread_main(void *p) {
    struct thread_waiter *w = p;
    waiter_loop(w->vfd, w->go, w->ack);
    return NULL;
}

static int64_t read_t1(FILE *in) {
    long long t1;
    if (fscanf(in, "%lld", &t1) != 1) { fprintf(stderr, "no wake-up time from the waiter\n"); exit(3); }
    return t1;
}

/* The waiter is a thread (process == 0) or a forked child (process == 1); both get the same
 * protocol: "g" on a pipe, then it blocks; we spin 150 µs so it is blocked, take t0, change. */
static void wake_latency(const struct subject *s, int n, int process, int raw) {
    int vfd = s->create();
    int go[2], ack[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0) die("pipe");
    pthread_t thread;
    struct thread_waiter w = {vfd, go[0], ack[1]};
    pid_t child = -1;
    if (process) {
        child = fork();
        if (child < 0) die("fork");
        if (child == 0) {
            waiter_loop(vfd, go[0], ack[1]);
            _exit(0);
        }
    } else {
        pthread_create(&thread, NULL, thread_main, &w);
    }
    cpu_set_t old;
    pin(0, &old);
    FILE *in = fdopen(ack[0], "r");
    double *lat = malloc(sizeof(double) * n);
    for (int i = -n / 4; i < n; i++) {
        if (write(go[1], "g", 1) != 1) die("write(go)");
        spin_ns(150000);
        int64_t t0 = now_ns();
        s->add(vfd);
        int64_t t1 = read_t1(in);
        if (i >= 0) lat[i] = (t1 - t0) / 1000.0;
        s->del(vfd);
    }
    if (write(go[1], "q", 1) != 1) die("write(quit)");
    if (process) waitpid(child, NULL, 0); else pthread_join(thread, NULL);
    sched_setaffinity(0, sizeof old, &old);
    const char *kind = process ? "wake.process" : "wake.thread";
    if (raw) { /* for bin/bench, which pools the samples of interleaved chunks */
        printf("SAMPLES\t%s\t%s", kind, s->name);
        for (int i = 0; i < n; i++) printf("%c%.3f", i == 0 ? '\t' : ',', lat[i]);
        printf("\n");
        fflush(stdout);
    } else {
        qsort(lat, n, sizeof *lat, cmp_double);
        char metric[64];
        snprintf(metric, sizeof metric, "%s.p50", kind);
        result(metric, s->name, 0, lat[n / 2]);
        snprintf(metric, sizeof metric, "%s.p99", kind);
        result(metric, s->name, 0, lat[(int) (n * 0.99)]);
    }
    free(lat);
    fclose(in);
    close(go[0]); close(go[1]); close(ack[1]);
    s->destroy(vfd);
}

/* ---- fan-out: n fds in one epoll set; IN raised on random fds, consumed by clearing it ---- */

static uint64_t rng = 88172645463325252ULL;
static inline uint64_t next_random(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static void fanout(const struct subject *s, int n, int64_t millis) {
    int *fds = malloc(sizeof(int) * n);
    char *pending = calloc(n, 1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < n; i++) {
        fds[i] = s->create();
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t) i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl(ADD)");
    }
    struct epoll_event evs[BATCH];
    long delivered = 0;
    int64_t start = 0, deadline = 0;
    for (int phase = 0; phase < 2; phase++) { /* phase 0: warm-up, a fifth of the time */
        start = now_ns();
        deadline = start + (phase == 0 ? millis / 5 : millis) * 1000000LL;
        delivered = 0;
        while (now_ns() < deadline) {
            for (int k = 0; k < BATCH; k++) {
                int i = (int) (next_random() % (uint64_t) n);
                if (!pending[i]) { s->add(fds[i]); pending[i] = 1; }
            }
            int got;
            while ((got = epoll_wait(ep, evs, BATCH, 0)) > 0) {
                for (int k = 0; k < got; k++) {
                    int i = (int) evs[k].data.u64;
                    s->del(fds[i]);
                    pending[i] = 0;
                }
                delivered += got;
            }
        }
    }
    double seconds = (now_ns() - start) / 1e9;
    result("fanout", s->name, n, delivered / seconds);
    for (int i = 0; i < n; i++) s->destroy(fds[i]);
    close(ep);
    free(fds);
    free(pending);
}

/* ---- creation: create n fds and register each with epoll, per fd; closing is not timed ---- */

static void creation(const struct subject *s, int n, int reps) {
    int *fds = malloc(sizeof(int) * n);
    double *per = malloc(sizeof(double) * reps);
    for (int rep = -1; rep < reps; rep++) {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        int64_t t0 = now_ns();
        for (int i = 0; i < n; i++) {
            fds[i] = s->create();
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t) i};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl(ADD)");
        }
        int64_t t1 = now_ns();
        if (rep >= 0) per[rep] = (t1 - t0) / 1000.0 / n;
        for (int i = 0; i < n; i++) s->destroy(fds[i]);
        close(ep);
    }
    result("create", s->name, n, median(per, reps));
    free(per);
    free(fds);
}

static int external_waiter(int pid, int fd) {
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) die("pidfd_open");
    int vfd = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (vfd < 0) die("pidfd_getfd");
    waiter_loop(vfd, 0, 1);
    return 0;
}

static const struct subject *by_name(const char *name) {
    const struct subject *all[] = {&EVENTFD, &LIBVPOLL, &REPLAY};
    for (int k = 0; k < 3; k++) if (strcmp(all[k]->name, name) == 0) return all[k];
    fprintf(stderr, "cbench: unknown subject %s\n", name);
    exit(2);
}

/* bin/bench drives this mode to interleave C and Java measurements finely (so load from
 * elsewhere on the machine hits both alike). One command a line, its output ends with DONE:
 *   ctl SUBJECT BATCHES | ctl-mt SUBJECT BATCHES (with an idle second thread) | wake SUBJECT thread|process N | fanout SUBJECT N MILLIS | create SUBJECT N REPS */
static int serve(void) {
    char line[256], cmd[32], name[64], kind[32];
    long a, b;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "ctl-mt %63s %ld", name, &a) == 2) ctl_cost_threaded(by_name(name), (int) a);
        else if (sscanf(line, "ctl %63s %ld", name, &a) == 2) ctl_cost(by_name(name), (int) a);
        else if (sscanf(line, "wake %63s %31s %ld", name, kind, &a) == 3) wake_latency(by_name(name), (int) a, strcmp(kind, "process") == 0, 1);
        else if (sscanf(line, "fanout %63s %ld %ld", name, &a, &b) == 3) fanout(by_name(name), (int) a, b);
        else if (sscanf(line, "create %63s %ld %ld", name, &a, &b) == 3) creation(by_name(name), (int) a, (int) b);
        else if (sscanf(line, "%31s", cmd) == 1 && strcmp(cmd, "quit") == 0) return 0;
        else { fprintf(stderr, "cbench serve: bad command: %s", line); return 2; }
        printf("DONE\n");
        fflush(stdout);
    }
    return 0;
}

static void print_libvpoll_mode(void) {
    /* Which libvpoll mode is this? Its emulation hands out one end of a socketpair. */
    int probe = vpoll_create(0, FD_CLOEXEC);
    struct stat st;
    fstat(probe, &st);
    printf("INFO\tlibvpoll-mode\t%s\n", S_ISSOCK(st.st_mode) ? "emulation (socketpair)" : "kernel (EFD_VPOLL)");
    fflush(stdout);
    vpoll_close(probe);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "waiter") == 0) return external_waiter(atoi(argv[2]), atoi(argv[3]));
    if (argc == 2 && strcmp(argv[1], "serve") == 0) {
        print_libvpoll_mode();
        return serve();
    }
    int quick = 0;
    char sizes_arg[256] = "1000,9000";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) snprintf(sizes_arg, sizeof sizes_arg, "%s", argv[++i]);
        else { fprintf(stderr, "usage: cbench [--quick] [--sizes N,N...] | cbench serve | cbench waiter PID FD\n"); return 2; }
    }
    print_libvpoll_mode();
    const struct subject *all[] = {&EVENTFD, &LIBVPOLL, &REPLAY};
    int batches = quick ? 200 : 1000, wakeups = quick ? 300 : 1000;
    int64_t fan_ms = quick ? 300 : 1000;
    for (int k = 0; k < 3; k++) ctl_cost(all[k], batches);
    for (int k = 0; k < 2; k++) {
        wake_latency(all[k], wakeups, 0, 0);
        wake_latency(all[k], wakeups, 1, 0);
    }
    char *save, *tok;
    for (tok = strtok_r(sizes_arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int n = atoi(tok);
        for (int k = 0; k < 3; k++) fanout(all[k], n, fan_ms);
    }
    for (int k = 0; k < 3; k++) creation(all[k], 1000, quick ? 3 : 9);
    return 0;
}
