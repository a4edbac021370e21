/*
 * health.c — bounded health probes for supervised services (see health.h).
 *
 * Each probe opens a non-blocking TCP connection, writes one request and
 * reads just enough of the answer to judge it, with every step limited by
 * one deadline. Answers are parsed with explicit length checks; whatever the
 * peer sends, the probe returns an error message rather than misbehaving.
 */
#include "up/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* Connects to host:port before deadline; returns fd or -1 with err set. */
static int dial(const char *host, int port, long long deadline, int timeout_ms, char *err,
                size_t errlen)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect to %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (wait_fd(fd, POLLOUT, deadline) != 0) {
        snprintf(err, errlen, "connect to %s:%d: no answer within %d ms", host, port, timeout_ms);
        close(fd);
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        snprintf(err, errlen, "connect to %s:%d: %s", host, port, strerror(soerr));
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *buf, size_t len, long long deadline)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (wait_fd(fd, POLLOUT, deadline) != 0)
            return -1;
    }
    return 0;
}

/* Reads until `want` bytes or EOF; returns bytes read or -1 on timeout. */
static ssize_t recv_some(int fd, char *buf, size_t want, long long deadline)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = recv(fd, buf + got, want - got, 0);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        if (errno != EAGAIN && errno != EINTR)
            break;
        if (wait_fd(fd, POLLIN, deadline) != 0)
            return got > 0 ? (ssize_t)got : -1;
    }
    return (ssize_t)got;
}

int bs_up_health_kafka(const char *host, int port, int timeout_ms, char *err, size_t errlen)
{
    long long deadline = now_ms() + timeout_ms;
    int fd = dial(host, port, deadline, timeout_ms, err, errlen);
    if (fd < 0)
        return -1;
    /* ApiVersions v0: size, ApiKey 18, ApiVersion 0, CorrelationId, ClientId null */
    static const unsigned char req[] = {0, 0,    0,    10,   0,    18,   0,
                                        0, 0x42, 0x53, 0x55, 0x50, 0xff, 0xff};
    unsigned char resp[10];
    int rc = -1;
    if (send_all(fd, req, sizeof(req), deadline) != 0) {
        snprintf(err, errlen, "%s:%d: cannot send ApiVersions: %s", host, port, strerror(errno));
        goto done;
    }
    ssize_t n = recv_some(fd, (char *)resp, sizeof(resp), deadline);
    if (n < 0) {
        snprintf(err, errlen, "%s:%d: no ApiVersions answer within %d ms", host, port, timeout_ms);
        goto done;
    }
    if (n < (ssize_t)sizeof(resp)) {
        snprintf(err, errlen, "%s:%d: ApiVersions answer cut short (%zd of 10 bytes)", host, port,
                 n);
        goto done;
    }
    uint32_t size = (uint32_t)resp[0] << 24 | (uint32_t)resp[1] << 16 | resp[2] << 8 | resp[3];
    int16_t ec = (int16_t)(resp[8] << 8 | resp[9]);
    if (size < 6 || memcmp(resp + 4, req + 8, 4) != 0) {
        snprintf(err, errlen, "%s:%d: malformed ApiVersions answer", host, port);
        goto done;
    }
    if (ec != 0) {
        snprintf(err, errlen, "%s:%d: ApiVersions error code %d", host, port, ec);
        goto done;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

int bs_up_health_http(const char *host, int port, const char *path, int timeout_ms, char *err,
                      size_t errlen)
{
    long long deadline = now_ms() + timeout_ms;
    int fd = dial(host, port, deadline, timeout_ms, err, errlen);
    if (fd < 0)
        return -1;
    char req[512], resp[64];
    int rc = -1;
    int len =
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
                 path, host, port);
    if (send_all(fd, req, (size_t)len, deadline) != 0) {
        snprintf(err, errlen, "%s:%d: cannot send GET %s: %s", host, port, path, strerror(errno));
        goto done;
    }
    ssize_t n = recv_some(fd, resp, 12, deadline);
    if (n < 12) {
        snprintf(err, errlen, "%s:%d: no HTTP answer within %d ms", host, port, timeout_ms);
        goto done;
    }
    resp[n] = '\0';
    if (strncmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ') {
        snprintf(err, errlen, "%s:%d: the answer is not HTTP", host, port);
        goto done;
    }
    if (resp[9] != '2') {
        snprintf(err, errlen, "%s:%d: GET %s answered HTTP status %.3s", host, port, path,
                 resp + 9);
        goto done;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

int bs_up_port_in_use(const char *host, int port)
{
    char err[128];
    long long deadline = now_ms() + 300;
    int fd = dial(host, port, deadline, 300, err, sizeof(err));
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}
