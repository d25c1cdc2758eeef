/* A C peer for jvpoll's interop test: it uses Debian's libvpoll (which drives /dev/vpoll) and
 * shares vpoll fds with a jvpoll process over a UNIX socket (SCM_RIGHTS), each side changing
 * the other's fd and observing the other's changes with poll(2).
 *   vpoll_peer SOCKET_PATH      prints READY, then PEER lines; exit 0 iff every check held */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>
#include <vpoll.h>

#define FAIL(...) do { printf("PEER FAIL: " __VA_ARGS__); printf(" (errno %d %s)\n", errno, strerror(errno)); fflush(stdout); exit(1); } while (0)

static int recv_fd(int sock, char *tag) {
    char byte; struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    if (recvmsg(sock, &msg, 0) != 1) FAIL("recvmsg");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS) FAIL("no SCM_RIGHTS in the message");
    *tag = byte;
    int fd; memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

static void send_fd(int sock, int fd, char tag) {
    struct iovec iov = { &tag, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(sock, &msg, 0) != 1) FAIL("sendmsg");
}

static char recv_byte(int sock) {
    char b;
    if (read(sock, &b, 1) != 1) FAIL("read from the jvpoll process");
    return b;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int mine = vpoll_create(0, FD_CLOEXEC);
    if (mine < 0) FAIL("vpoll_create");
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strncpy(sa.sun_path, argv[1], sizeof sa.sun_path - 1);
    unlink(argv[1]);
    if (bind(srv, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(srv, 1) < 0) FAIL("bind/listen %s", argv[1]);
    printf("READY\n");
    int s = accept(srv, NULL, NULL);
    if (s < 0) FAIL("accept");

    char tag;
    int theirs = recv_fd(s, &tag);                  /* the jvpoll process's vpoll fd */
    if (tag != 'j') FAIL("unexpected tag %c", tag);
    send_fd(s, mine, 'c');                          /* ours, created by libvpoll */
    printf("PEER exchanged fds: mine=%d theirs=%d\n", mine, theirs);

    /* 1. We change the jvpoll fd through libvpoll; the Java side checks it. */
    if (vpoll_ctl(theirs, VPOLL_CTL_ADDEVENTS, EPOLLIN | EPOLLPRI) < 0) FAIL("vpoll_ctl(theirs, ADD, IN|PRI)");
    if (write(s, "a", 1) != 1) FAIL("write a");

    /* 2. The Java side changed our libvpoll fd: OUT must be visible here. */
    if (recv_byte(s) != 'b') FAIL("expected b");
    struct pollfd p = { mine, POLLIN | POLLOUT | POLLPRI, 0 };
    if (poll(&p, 1, 0) != 1 || p.revents != POLLOUT) FAIL("poll(mine) revents 0x%x, expected POLLOUT from java", p.revents);
    printf("PEER sees OUT set by java on the libvpoll fd\n");

    /* 3. Block in poll on the jvpoll fd until the Java side raises HUP. */
    struct pollfd q = { theirs, POLLRDHUP, 0 };
    int n = poll(&q, 1, 20000);
    if (n != 1 || !(q.revents & POLLHUP)) FAIL("poll(theirs) returned %d revents 0x%x, expected POLLHUP", n, q.revents);
    printf("PEER woken by HUP set by java, revents 0x%x\n", q.revents);
    vpoll_close(mine);
    close(theirs);
    printf("PEER OK\n");
    return 0;
}
