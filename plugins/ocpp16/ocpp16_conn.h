/*
 * One charger's OCPP-J connection.
 *
 * Inbound CALLs are handled one at a time in arrival order: a CALL that
 * arrives while the previous one is still being answered (a database write,
 * a filter chain) waits in a queue, so messages a charger queued while
 * offline are stored in the order it sends them. Outbound CALLs are sent
 * one at a time too; the others wait, and each has a deadline.
 *
 * A connection is reference counted: every asynchronous step (registry
 * look-up, filter chain, database write, outbound CALL) holds a reference,
 * so its callback may run after the socket closed; the socket pointer is
 * NULL then and answers are dropped.
 */
#ifndef GLV_OCPP16_CONN_H
#define GLV_OCPP16_CONN_H

#include <galvani/galvani.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocpp16_error.h"
#include "ocpp16_meter_decode.h"
#include "ocpp16_schema.h"
#include "ocppj_frame.h"

struct glv_ocpp16_inbound;
struct glv_ocpp16_outbound;

struct glv_ocpp16_conn {
    unsigned refs;
    glv_ws_conn *ws; /* NULL once closed */
    char *identity;  /* owned */
    char *listener;  /* owned */
    char remote[64];
    int profile;     /* security profile of the listener */
    bool lenient;    /* from the registry */
    char status[12]; /* registry status: accepted | pending | rejected */
    int64_t connectors;
    /* vendor, model, serial and firmware of the registry record read at the
     * upgrade (new), until the first BootNotification compares them; NULL
     * after it */
    json_t *boot_ref;
    bool attached;        /* charger_attach succeeded */
    bool attach_answered; /* charger_attach answered (either way) */
    /* a CALL that waits for the connection to be recorded (see
     * glv_ocpp16_after_attach) */
    struct glv_ocpp16_request *attach_waiter;
    void (*attach_waiter_fn)(struct glv_ocpp16_request *req);
    bool in_table;           /* listed in glv_ocpp16.conns */
    bool retired;            /* detached and reported disconnected */
    const char *close_cause; /* static: why we closed it (NULL: the peer did) */
    uint64_t last_rx_ms;     /* monotonic, last message received */
    uint32_t heartbeat_ms;
    glv_timer *liveness;
    /* inbound */
    bool busy; /* a CALL is being answered */
    bool pumping;
    struct glv_ocpp16_inbound *in_head, *in_tail;
    uint32_t in_count;
    /* outbound */
    struct glv_ocpp16_outbound *out_head, *out_tail, *in_flight;
    glv_timer *call_timer;
    uint64_t next_call_id;
    struct glv_ocpp16_conn *hash_next;
};

/* Connections by identity (this process only). */
struct glv_ocpp16_conn_table {
    struct glv_ocpp16_conn **buckets;
    size_t nbuckets;
    size_t count;
};

/* A CALL from the charger being answered. */
struct glv_ocpp16_request {
    struct glv_ocpp16_conn *conn; /* holds a reference */
    char id[GLV_OCPPJ_ID_MAX + 1];
    const struct glv_ocpp16_action *action; /* static */
    json_t *payload; /* owned reference, validated; NULL for meter values read from text */
    /* a MeterValues read from its text (readings owned), else readings NULL
     * until the MeterValues handler fills it from the payload */
    struct glv_ocpp16_meter_call meter;
    uint64_t received_ms; /* monotonic */
};

/* Outcome of an outbound CALL. result: borrowed CALLRESULT payload (validated
 * against the action's response schema) or NULL; error: borrowed, NULL on
 * success, else {"code": "call_error" | "invalid_response" | "timeout" |
 * "offline", "message", "ocpp_error"?, "details"?}. conn is borrowed. */
typedef void (*glv_ocpp16_call_fn)(struct glv_ocpp16_conn *conn, const json_t *result,
                                   const json_t *error, void *arg);

/* A connection for an accepted upgrade (one reference, held by the socket
 * until on_close). identity, listener: borrowed (copied). NULL on ENOMEM. */
struct glv_ocpp16_conn *glv_ocpp16_conn_new(const char *identity, const char *listener,
                                            const char *remote, int profile);
void glv_ocpp16_conn_ref(struct glv_ocpp16_conn *c);
void glv_ocpp16_conn_unref(struct glv_ocpp16_conn *c);

/* The glv_ws_handlers of the ocpp1.6 subprotocol. */
extern const glv_ws_handlers glv_ocpp16_ws_handlers;

/* Closes the socket (if open) with code and a reason, recording cause
 * (static: "timeout", "replaced", "rejected" …) for charger.disconnected. */
void glv_ocpp16_conn_close(struct glv_ocpp16_conn *c, uint16_t code, const char *cause);

/* Runs fn(req) once the registry has recorded this connection (at once
 * when it has): an answer that tells the charger it is booted must not come
 * before a command can find it. */
void glv_ocpp16_after_attach(struct glv_ocpp16_request *req,
                             void (*fn)(struct glv_ocpp16_request *req));

/* Restarts the silence deadline after heartbeat_ms changed. */
void glv_ocpp16_conn_liveness_reset(struct glv_ocpp16_conn *c);

/* Answers a request: sends the CALLRESULT (payload stolen; checked against
 * the response schema first, an invalid one is logged and answered with
 * InternalError) or a CALLERROR (description borrowed), frees req and lets
 * the next queued CALL in. */
void glv_ocpp16_reply(struct glv_ocpp16_request *req, json_t *payload);
void glv_ocpp16_reply_error(struct glv_ocpp16_request *req, enum glv_ocpp16_error code,
                            const char *description);
/* glv_ocpp16_reply with {} (no allocation per answer). */
void glv_ocpp16_reply_empty(struct glv_ocpp16_request *req);

/* Queues a CALL to the charger. action: the static table entry of a CSMS
 * action; payload: stolen (not validated here). done runs exactly once, on a
 * later loop turn at the earliest (also when the connection closes first).
 * Returns 0, or -EPIPE when the connection is closed (done is not called). */
int glv_ocpp16_call(struct glv_ocpp16_conn *c, const struct glv_ocpp16_action *action,
                    json_t *payload, glv_ocpp16_call_fn done, void *arg);

/* The validation options of a connection (lenient or strict, quirks logged). */
void glv_ocpp16_conn_validate_opts(struct glv_ocpp16_conn *c,
                                   struct glv_ocpp16_validate_opts *opts);

/* Table: the open connection of an identity (borrowed) or NULL. */
struct glv_ocpp16_conn *glv_ocpp16_conn_find(const char *identity);
/* Closes every open connection with 1001 (going away). */
void glv_ocpp16_conn_close_all(void);
void glv_ocpp16_conn_table_free(void);
/* Frees what the connections share (at plugin fini, after the table). */
void glv_ocpp16_conn_fini(void);

#endif
