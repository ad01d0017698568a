/* A non-blocking TCP connection, plain or TLS, on the fleet's event loop.
 * A write goes to the socket at once; only what the socket does not take is
 * kept, and written when it becomes writable. Reads land in one buffer
 * shared by every connection; a connection keeps only the unfinished
 * remainder its owner did not use. The socket stays registered for reading
 * the whole time, so a call and its answer cost one send and one receive. */
#ifndef SIM_CONN_H
#define SIM_CONN_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum sim_conn_failure {
    SIM_CONN_CONNECT_FAILED, /* TCP connect refused or failed */
    SIM_CONN_TLS_FAILED,     /* TLS handshake, certificate check or a TLS alert */
    SIM_CONN_TIMEOUT,        /* no progress within the timeout while connecting */
    SIM_CONN_EOF,            /* the peer closed the connection */
    SIM_CONN_ERROR,          /* a socket error */
};

struct sim_conn;

struct sim_conn_callbacks {
    /* TCP connected and, with TLS, the handshake done. */
    void (*ready)(struct sim_conn *conn);
    /* Bytes received: returns how many were used; the rest comes again in
     * front of the next bytes. data is valid during the call only. */
    size_t (*data)(struct sim_conn *conn, const char *data, size_t len);
    /* Everything written has been taken by the socket (once per
     * sim_conn_notify_drained). */
    void (*drained)(struct sim_conn *conn);
    /* The connection failed and is closed. */
    void (*failed)(struct sim_conn *conn, enum sim_conn_failure why, const char *detail);
};

struct sim_conn {
    struct event ev;
    const struct sim_conn_callbacks *cb;
    SSL *ssl;
    char *out; /* output the socket has not taken yet */
    char *in;  /* received bytes the owner has not used yet */
    uint32_t out_len;
    uint32_t out_cap;
    uint32_t in_len;
    uint32_t serial; /* changes whenever the connection opens or closes */
    int fd;
    int connect_error;  /* of a connect that failed at once */
    short waiting;      /* the events ev waits for */
    uint16_t timeout_s; /* while connecting; 0 once set up */
    uint8_t state;
    uint8_t read_wants_write; /* TLS: a read has to write first */
    uint8_t notify_drained;
};

/* Starts connecting; the callbacks follow on the loop. ssl (NULL for plain
 * TCP) is owned by the connection from here on, also on failure. Returns 0,
 * or -1 with no callback. */
int sim_conn_open(struct sim_conn *conn, struct event_base *base, const struct sockaddr *addr,
                  socklen_t addrlen, SSL *ssl, unsigned timeout_s,
                  const struct sim_conn_callbacks *cb);
/* Writes now what the socket takes and keeps the rest. Before the
 * connection is ready everything is kept. -1 when closed or out of memory;
 * a socket error is reported later through failed. */
int sim_conn_write(struct sim_conn *conn, const void *data, size_t len);
/* Asks for the drained callback, from the loop, once the socket has taken
 * everything written so far (at the next turn when it already has). */
void sim_conn_notify_drained(struct sim_conn *conn);
/* No more timeout (the connection is fully set up). */
void sim_conn_clear_timeout(struct sim_conn *conn);
/* Closes at once, without a callback. */
void sim_conn_close(struct sim_conn *conn);
bool sim_conn_is_open(const struct sim_conn *conn);

#endif
