/*
 * A foreign client for the conformance matrix: a C program no Java code controls, which receives a
 * vpoll fd (over an AF_UNIX socket with SCM_RIGHTS, or inherited across exec) and waits on it with
 * its own poll, ppoll, select, pselect, epoll or io_uring IORING_OP_POLL_ADD, or changes its events
 * with the device's own ABI (ioctl _IO('^', op) or an 8-byte eventfd write).
 *
 *   conformance_client wait SOCKPATH METHOD INTEREST TIMEOUT_MS   prints LISTENING, READY, EVENTS 0x..
 *   conformance_client ctl SOCKPATH ioctl|eventfd OP EVENTS       prints LISTENING, DONE
 *   conformance_client inherit FD EXPECTED   exit 0 if FD is open and poll reports EXPECTED, 11 if not, 10 if closed
 *
 * For select and pselect EVENTS is 0x1 for the read set, 0x4 for the write set, 0x2 for the except set.
 * Exit 77 with "UNSUPPORTED reason" when the kernel refuses the facility (io_uring disabled).
 * Raw syscalls for io_uring: no liburing needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    printf("ERROR %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(2);
}

static int receive_fd(const char *path) {
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    unlink(path);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0) die("listen");
    printf("LISTENING\n");
    fflush(stdout);
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    char tag;
    struct iovec iov = {.iov_base = &tag, .iov_len = 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    if (recvmsg(c, &msg, 0) != 1) die("recvmsg");
    struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
    if (!h || h->cmsg_type != SCM_RIGHTS) die("no SCM_RIGHTS");
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof fd);
    close(c);
    close(l);
    unlink(path);
    return fd;
}

static void ready(void) {
    printf("READY\n");
    fflush(stdout);
}

static unsigned wait_select(int fd, int timeout_ms, int with_pselect) {
    fd_set r, w, x;
    FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&x);
    FD_SET(fd, &r); FD_SET(fd, &w); FD_SET(fd, &x);
    ready();
    int n;
    if (with_pselect) {
        struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
        sigset_t mask;
        sigemptyset(&mask);
        n = pselect(fd + 1, &r, &w, &x, &ts, &mask);
    } else {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        n = select(fd + 1, &r, &w, &x, &tv);
    }
    if (n < 0) die("select");
    return (FD_ISSET(fd, &r) ? 0x1 : 0) | (FD_ISSET(fd, &w) ? 0x4 : 0) | (FD_ISSET(fd, &x) ? 0x2 : 0);
}

static unsigned wait_uring(int fd, unsigned interest, int timeout_ms) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (ring < 0) {
        printf("UNSUPPORTED io_uring_setup: %s\n", strerror(errno));
        fflush(stdout);
        exit(77);
    }
    size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char *cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq
            : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) die("mmap(io_uring)");
    if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len) {
        munmap(sq, sq_len);
        sq = cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    }
    unsigned *sq_tail = (unsigned *)(sq + p.sq_off.tail);
    unsigned *sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    unsigned *sq_array = (unsigned *)(sq + p.sq_off.array);
    unsigned *cq_head = (unsigned *)(cq + p.cq_off.head);
    unsigned *cq_tail = (unsigned *)(cq + p.cq_off.tail);
    unsigned *cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

    unsigned tail = *sq_tail, idx = tail & *sq_mask;
    struct io_uring_sqe *sqe = &sqes[idx];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = fd;
    sqe->poll32_events = interest;
    sqe->user_data = 42;
    sq_array[idx] = idx;
    __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
    if (syscall(__NR_io_uring_enter, ring, 1, 0, 0, NULL, 0) != 1) die("io_uring_enter(submit)");
    ready();
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        unsigned head = *cq_head;
        if (head != __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
            struct io_uring_cqe *c = &cqes[head & *cq_mask];
            int res = c->res;
            __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
            if (res < 0) {
                errno = -res;
                die("IORING_OP_POLL_ADD");
            }
            return (unsigned)res;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > timeout_ms) return 0;
        /* Block for one completion; a signal-free wait with min_complete 1. */
        if (syscall(__NR_io_uring_enter, ring, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR) {
            die("io_uring_enter(wait)");
        }
    }
}

static unsigned wait_on(int fd, const char *method, unsigned interest, int timeout_ms) {
    if (!strcmp(method, "poll") || !strcmp(method, "ppoll")) {
        struct pollfd p = {.fd = fd, .events = (short)interest};
        ready();
        int n;
        if (method[0] == 'p' && method[1] == 'p') {
            struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
            sigset_t mask;
            sigemptyset(&mask);
            n = ppoll(&p, 1, &ts, &mask);
        } else {
            n = poll(&p, 1, timeout_ms);
        }
        if (n < 0) die("poll");
        return n == 0 ? 0 : (unsigned short)p.revents;
    }
    if (!strcmp(method, "select")) return wait_select(fd, timeout_ms, 0);
    if (!strcmp(method, "pselect")) return wait_select(fd, timeout_ms, 1);
    if (!strcmp(method, "epoll")) {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = interest, .data.fd = fd};
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
        ready();
        struct epoll_event out;
        int n = epoll_wait(ep, &out, 1, timeout_ms);
        if (n < 0) die("epoll_wait");
        if (n == 1 && out.data.fd != fd) die("epoll data");
        return n == 0 ? 0 : out.events;
    }
    if (!strcmp(method, "uring")) return wait_uring(fd, interest, timeout_ms);
    errno = EINVAL;
    die(method);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && !strcmp(argv[1], "wait")) {
        int fd = receive_fd(argv[2]);
        unsigned ev = wait_on(fd, argv[3], (unsigned)strtoul(argv[4], NULL, 0), atoi(argv[5]));
        printf("EVENTS 0x%x\n", ev);
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "ctl")) {
        int fd = receive_fd(argv[2]);
        unsigned op = (unsigned)strtoul(argv[4], NULL, 0);
        uint32_t events = (uint32_t)strtoul(argv[5], NULL, 0);
        if (!strcmp(argv[3], "eventfd")) {
            uint64_t req = ((uint64_t)op << 32) | events;
            if (write(fd, &req, 8) != 8) die("write(eventfd)");
        } else if (ioctl(fd, _IO('^', op), (unsigned long)events) < 0) {
            die("ioctl(_IO('^', op))");
        }
        printf("DONE\n");
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "inherit")) {
        int fd = atoi(argv[2]);
        if (fcntl(fd, F_GETFD) < 0) {
            printf("EBADF fd %d not inherited\n", fd);
            return 10;
        }
        struct pollfd p = {.fd = fd, .events = (short)0xffff};
        if (poll(&p, 1, 0) < 0) die("poll");
        printf("inherited fd %d reports EVENTS 0x%x\n", fd, (unsigned short)p.revents);
        return (unsigned short)p.revents == (unsigned)strtoul(argv[3], NULL, 0) ? 0 : 11;
    }
    fprintf(stderr, "usage: %s wait SOCKPATH METHOD INTEREST TIMEOUT_MS | ctl SOCKPATH ioctl|eventfd OP EVENTS | inherit FD EXPECTED\n", argv[0]);
    return 64;
}
