/*
 * ocpp_floor — the least an OCPP 1.6-J central system can do per message,
 * to measure what the rest of a benchmark costs around it: it accepts
 * WebSocket upgrades for the ocpp1.6 subprotocol (no authentication) and
 * answers every CALL at once from memory (BootNotification Accepted, every
 * idTag Accepted, transaction ids counted up, {} for the rest). Nothing is
 * stored. One thread, epoll, one read and one write per message, as a
 * real server needs at least.
 *
 * usage: ocpp_floor PORT
 * SIGUSR1 prints "answered N" (MeterValues answered so far) on stdout;
 * SIGTERM ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 65536

struct conn {
    int fd;
    int open; /* upgraded */
    size_t len;
    uint8_t in[IN_MAX];
};

static volatile sig_atomic_t report, stop;
static unsigned long long meter_answered;
static long long next_tx = 1;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        report = 1;
    else
        stop = 1;
}

static void send_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* a benchmark peer that does not read is dropped later */
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* The value of header name in the request, or NULL. */
static const char *header(const char *req, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *line = strstr(req, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            *len = end ? (size_t)(end - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

static int upgrade(struct conn *c)
{
    c->in[c->len] = '\0';
    char *end = strstr((char *)c->in, "\r\n\r\n");
    if (end == NULL)
        return c->len < IN_MAX - 1 ? 0 : -1;
    size_t key_len;
    const char *key = header((char *)c->in, "Sec-WebSocket-Key", &key_len);
    if (key == NULL || key_len > 64)
        return -1;
    char joined[128];
    snprintf(joined, sizeof joined, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)key_len, key);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    EVP_Digest(joined, strlen(joined), digest, &digest_len, EVP_sha1(), NULL);
    char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, digest, (int)digest_len);
    char reply[256];
    int n = snprintf(reply, sizeof reply,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                     "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
                     accept);
    send_all(c->fd, reply, (size_t)n);
    size_t used = (size_t)(end + 4 - (char *)c->in);
    memmove(c->in, c->in + used, c->len - used);
    c->len -= used;
    c->open = 1;
    return 0;
}

static void send_frame(int fd, uint8_t opcode, const char *p, size_t n)
{
    uint8_t out[IN_MAX + 16];
    if (n > IN_MAX)
        return; /* longer than any frame read */
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        out[h++] = (uint8_t)n;
    } else {
        out[h++] = 126;
        out[h++] = (uint8_t)(n >> 8);
        out[h++] = (uint8_t)n;
    }
    memcpy(out + h, p, n);
    send_all(fd, out, h + n);
}

/* The n-th (0-based) string of a JSON array's top level, in text. */
static const char *nth_string(const char *s, size_t len, int nth, size_t *out_len)
{
    int seen = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"')
            continue;
        size_t j = i + 1;
        while (j < len && s[j] != '"')
            j += s[j] == '\\' ? 2 : 1;
        if (seen++ == nth) {
            *out_len = j - i - 1;
            return s + i + 1;
        }
        i = j;
    }
    return NULL;
}

static void answer(int fd, const char *msg, size_t len)
{
    size_t id_len, action_len;
    const char *id = nth_string(msg, len, 0, &id_len);
    const char *action = nth_string(msg, len, 1, &action_len);
    if (len < 3 || msg[1] != '2' || id == NULL || action == NULL)
        return;
    char now[32], payload[160], frame[256];
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
#define IS(name) (action_len == sizeof(name) - 1 && memcmp(action, name, action_len) == 0)
    if (IS("BootNotification"))
        snprintf(payload, sizeof payload,
                 "{\"status\":\"Accepted\",\"currentTime\":\"%s\",\"interval\":60}", now);
    else if (IS("Heartbeat"))
        snprintf(payload, sizeof payload, "{\"currentTime\":\"%s\"}", now);
    else if (IS("Authorize") || IS("StopTransaction"))
        snprintf(payload, sizeof payload, "{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    else if (IS("StartTransaction"))
        snprintf(payload, sizeof payload,
                 "{\"transactionId\":%lld,\"idTagInfo\":{\"status\":\"Accepted\"}}", next_tx++);
    else
        snprintf(payload, sizeof payload, "{}");
    if (IS("MeterValues"))
        meter_answered++;
#undef IS
    int n = snprintf(frame, sizeof frame, "[3,\"%.*s\",%s]", (int)id_len, id, payload);
    send_frame(fd, 1, frame, (size_t)n);
}

/* Answers every whole frame read; -1 to close. */
static int frames(struct conn *c)
{
    size_t at = 0;
    while (c->len - at >= 2) {
        uint8_t *f = c->in + at;
        uint8_t opcode = f[0] & 0x0f;
        size_t n = f[1] & 0x7f, h = 2;
        if (n == 126) {
            if (c->len - at < 4)
                break;
            n = (size_t)f[2] << 8 | f[3];
            h = 4;
        } else if (n == 127) {
            return -1; /* no OCPP message here is that long */
        }
        if (!(f[1] & 0x80))
            return -1; /* a client's frames are masked */
        if (c->len - at < h + 4 + n)
            break;
        uint8_t *mask = f + h, *p = f + h + 4;
        for (size_t i = 0; i < n; i++)
            p[i] ^= mask[i & 3];
        if (opcode == 1)
            answer(c->fd, (const char *)p, n);
        else if (opcode == 9)
            send_frame(c->fd, 10, (const char *)p, n);
        else if (opcode == 8)
            return -1;
        at += h + 4 + n;
    }
    memmove(c->in, c->in + at, c->len - at);
    c->len -= at;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ocpp_floor PORT\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGUSR1, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0) {
        perror("ocpp_floor: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct epoll_event ready[512];
    while (!stop) {
        if (report) {
            report = 0;
            printf("answered %llu\n", meter_answered);
        }
        int k = epoll_wait(ep, ready, 512, 200);
        for (int i = 0; i < k; i++) {
            struct conn *c = ready[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (nc == NULL) {
                        close(fd);
                        continue;
                    }
                    nc->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            ssize_t r = recv(c->fd, c->in + c->len, IN_MAX - 1 - c->len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            int bad = r <= 0;
            if (!bad) {
                c->len += (size_t)r;
                bad = (!c->open && upgrade(c) != 0) || (c->open && frames(c) != 0);
            }
            if (bad) {
                close(c->fd); /* also leaves the epoll set */
                free(c);
            }
        }
    }
    return 0;
}
