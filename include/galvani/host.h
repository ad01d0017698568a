/*
 * galvani — the host function table.
 *
 * The host passes one const glv_host to a plugin's init. It stays valid until
 * fini. Functions are only ever appended; a plugin built against an older
 * header sees a smaller `size` and never reads past it, and a plugin built
 * against a newer header tests for a function with GLV_HOST_HAS before calling
 * it. Every function runs on the loop thread only (the worker functions of
 * host->work excepted, which must not call the host at all).
 *
 * Unless a comment says otherwise, functions return 0 or a non-negative value
 * on success and a negative errno on failure, and on failure leave a JSON
 * description for host->last_error().
 */
#ifndef GALVANI_HOST_H
#define GALVANI_HOST_H

#include "charger.h"
#include "common.h"
#include "config.h"
#include "db.h"
#include "hooks.h"
#include "http.h"
#include "service.h"
#include "websocket.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glv_timer glv_timer;
typedef struct glv_metric glv_metric;

typedef enum glv_metric_type {
    GLV_METRIC_COUNTER = 1,
    GLV_METRIC_GAUGE = 2,
    GLV_METRIC_HISTOGRAM = 3, /* observations in seconds */
} glv_metric_type;

/* Work run on a worker thread; must not call the host. */
typedef void (*glv_work_fn)(void *arg);

/* Password hashing result. hash: borrowed, NULL on failure. */
typedef void (*glv_password_hash_fn)(const char *hash, void *arg);
/* Password check result: 1 match, 0 mismatch, negative errno (bad hash). */
typedef void (*glv_password_verify_fn)(int result, void *arg);

typedef struct glv_host {
    uint32_t size;      /* sizeof(glv_host) as the host was built */
    uint16_t abi_major; /* the host's GLV_ABI_MAJOR */
    uint16_t abi_minor; /* the host's GLV_ABI_MINOR */

    /* ---- ABI 0.1: identity, logging, errors ---- */

    /* Writes one line "<prio>plugin: message" to the log. */
    void (*log)(glv_plugin *p, int priority, const char *fmt, ...) GLV_PRINTF(3, 4);
    /* Records the reason of a failure as {"plugin", "message"}; the host
     * reports it when init/start/reload fails. Returns -EINVAL for convenience. */
    int (*fail)(glv_plugin *p, const char *fmt, ...) GLV_PRINTF(2, 3);
    /* Detail of the plugin's last failed host call: borrowed, or NULL. */
    const json_t *(*last_error)(glv_plugin *p);
    /* The plugin's own pointer, kept by the host. */
    void (*set_userdata)(glv_plugin *p, void *userdata);
    void *(*userdata)(glv_plugin *p);
    /* This process's node id (unique among galvanid processes sharing one
     * database; recorded where a process holds a connection). Borrowed. */
    const char *(*node_id)(glv_plugin *p);
    /* Monotonic and wall clocks, in milliseconds. */
    uint64_t (*monotonic_ms)(void);
    int64_t (*wall_ms)(void);

    /* ---- ABI 0.1: configuration ---- */

    /* The plugin's validated section, defaults filled: borrowed, valid until
     * the next reload. An empty object when the file has no section. */
    const json_t *(*config)(glv_plugin *p);

    /* ---- ABI 0.1: hooks bus (see hooks.h) ---- */

    /* Declares an event this plugin emits or runs. Declare in init. Several
     * plugins may declare one event (two transports emit the same charger
     * events); listeners get the lowest declared data version. -EEXIST when
     * it is already declared with the other kind. */
    int (*event_declare)(glv_plugin *p, const char *event, glv_event_kind kind,
                         uint32_t data_version);
    /* Adds a filter; returns a subscription id (> 0). data_version: the
     * payload version the filter was written for. */
    int64_t (*filter_add)(glv_plugin *p, const char *event, int priority, uint32_t data_version,
                          glv_filter_fn fn, void *arg);
    /* Adds a notification listener; returns a subscription id (> 0). */
    int64_t (*listen)(glv_plugin *p, const char *event, uint32_t data_version, glv_listener_fn fn,
                      void *arg);
    /* Removes a filter or listener added by this plugin. Safe during dispatch. */
    int (*unsubscribe)(glv_plugin *p, int64_t subscription);
    /* Runs the filter chain of a declared filter event. payload: borrowed (the
     * bus holds its own reference until done has run). timeout_ms: the chain's
     * deadline, 0 for the configured default. */
    int (*filter_run)(glv_plugin *p, const char *event, json_t *payload, uint32_t timeout_ms,
                      glv_filter_done_fn done, void *arg);
    /* Answers a PENDING filter. reason: stolen, may be NULL; used with VETO
     * and FAILED. A call after the chain timed out only releases the call. */
    void (*filter_resume)(glv_filter_call *call, glv_verdict verdict, json_t *reason);
    /* Gives the reason of a VETO or FAILED returned directly (not PENDING).
     * reason: stolen. */
    void (*filter_reason)(glv_filter_call *call, json_t *reason);
    /* Emits a notification of a declared event after the emitter committed.
     * payload: stolen. Listeners run on a later loop turn. */
    int (*notify)(glv_plugin *p, const char *event, json_t *payload);

    /* ---- ABI 0.1: services (see service.h) ---- */

    /* Offers a service. vtable and instance must live until fini.
     * -EEXIST when the name is already provided. */
    int (*service_provide)(glv_plugin *p, const char *name, uint32_t version, const void *vtable,
                           void *instance);
    /* Looks a service up. -ENOENT when nobody provides it, -EPROTO when the
     * provider's version is older than min_version. Call it in start (all
     * plugins have run init), or in init when the provider is a dependency. */
    int (*service_get)(glv_plugin *p, const char *name, uint32_t min_version, glv_service *out);

    /* ---- ABI 0.1: timers and deferred calls ---- */

    /* Starts a timer; repeat != 0 re-arms it every ms. Returns NULL on error. */
    glv_timer *(*timer_start)(glv_plugin *p, uint32_t ms, int repeat, glv_callback_fn fn,
                              void *arg);
    /* Stops and frees a timer (also a one-shot timer that has not fired yet).
     * A one-shot timer that fired is freed by the host after its callback. */
    void (*timer_stop)(glv_timer *t);
    /* Runs fn(arg) on the next loop turn. */
    int (*defer)(glv_plugin *p, glv_callback_fn fn, void *arg);

    /* ---- ABI 0.1: worker pool ---- */

    /* Runs work(arg) on a worker thread, then done(arg) on the loop thread. */
    int (*work)(glv_plugin *p, glv_work_fn work, glv_callback_fn done, void *arg);
    /* Hashes a password with the host's memory-hard KDF off the loop. The
     * result is a self-describing string ("$scrypt$…") to store as is. */
    int (*password_hash)(glv_plugin *p, const char *password, glv_password_hash_fn done, void *arg);
    /* Checks a password against a stored hash off the loop. */
    int (*password_verify)(glv_plugin *p, const char *password, const char *hash,
                           glv_password_verify_fn done, void *arg);

    /* ---- ABI 0.1: metrics (Prometheus text on /metrics) ---- */

    /* Finds or creates a metric. name: [a-z_][a-z0-9_]*; labels: NULL or a
     * Prometheus label set without braces ("transport=\"ocpp16\""). The
     * metric lives until the host exits. NULL on error. */
    glv_metric *(*metric)(glv_plugin *p, const char *name, glv_metric_type type, const char *help,
                          const char *labels);
    void (*metric_add)(glv_metric *m, double value);     /* counter, gauge */
    void (*metric_set)(glv_metric *m, double value);     /* gauge */
    void (*metric_observe)(glv_metric *m, double value); /* histogram, seconds */

    /* ---- ABI 0.1: HTTP (see http.h) ---- */

    /* Adds a route. -EEXIST when the same method and pattern exist. */
    int (*http_route)(glv_plugin *p, const char *method, const char *pattern,
                      glv_http_handler_fn fn, void *arg);
    /* Request accessors; returned strings are borrowed from the request. */
    const char *(*http_method)(glv_http_request *req);
    const char *(*http_path)(glv_http_request *req);
    const char *(*http_path_param)(glv_http_request *req, const char *name);  /* NULL if none */
    const char *(*http_query_param)(glv_http_request *req, const char *name); /* decoded; NULL */
    const char *(*http_header)(glv_http_request *req, const char *name);      /* NULL if none */
    const char *(*http_request_id)(glv_http_request *req);
    const char *(*http_remote_addr)(glv_http_request *req);
    /* Raw body (NUL-terminated after len; "" when empty). */
    const char *(*http_body)(glv_http_request *req, size_t *len);
    /* Parses the body as a JSON object. On success returns 0 and *out is new.
     * On failure replies 400/415 problem JSON itself and returns -EINVAL. */
    int (*http_body_json)(glv_http_request *req, json_t **out);
    /* Adds a response header before the reply. */
    int (*http_set_header)(glv_http_request *req, const char *name, const char *value);
    /* Replies; each releases the request. body: stolen. */
    void (*http_reply_json)(glv_http_request *req, int status, json_t *body);
    void (*http_reply)(glv_http_request *req, int status, const char *content_type,
                       const void *body, size_t len);
    /* Problem JSON (RFC 9457): type "about:blank" unless extra carries one.
     * extra: stolen, NULL or an object merged into the problem. */
    void (*http_problem)(glv_http_request *req, int status, const char *title, const char *detail,
                         json_t *extra);

    /* ---- ABI 0.1: WebSocket (see websocket.h) ---- */

    /* Registers a subprotocol under a path prefix. handlers: borrowed, must
     * live until fini. -EEXIST for a duplicate (prefix, subprotocol). */
    int (*ws_register)(glv_plugin *p, const char *path_prefix, const char *subprotocol,
                       uint32_t flags, const glv_ws_handlers *handlers, void *arg);
    /* Upgrade request accessors (borrowed strings, valid until answered). */
    const char *(*ws_upgrade_path)(glv_ws_upgrade *up);        /* full path */
    const char *(*ws_upgrade_path_tail)(glv_ws_upgrade *up);   /* after the prefix, decoded */
    const char *(*ws_upgrade_subprotocol)(glv_ws_upgrade *up); /* chosen; "" if none */
    const char *(*ws_upgrade_header)(glv_ws_upgrade *up, const char *name);
    const char *(*ws_upgrade_remote_addr)(glv_ws_upgrade *up);
    const char *(*ws_upgrade_listener)(glv_ws_upgrade *up); /* listener name */
    /* 1 on TLS; the verified client certificate's subject CN or NULL. */
    int (*ws_upgrade_tls)(glv_ws_upgrade *up);
    const char *(*ws_upgrade_client_cn)(glv_ws_upgrade *up);
    /* Accepts: the 101 answer is sent; conn_arg reaches every handler. */
    int (*ws_accept)(glv_ws_upgrade *up, void *conn_arg);
    /* Refuses with an HTTP status (401 adds WWW-Authenticate: Basic). */
    void (*ws_reject)(glv_ws_upgrade *up, int http_status, const char *reason);
    /* Sends one message. -EPIPE when closing, -ENOBUFS above the connection's
     * output limit (nothing queued then). */
    int (*ws_send)(glv_ws_conn *conn, const char *data, size_t len, int is_text);
    /* Starts the close handshake; on_close follows. reason: <= 123 bytes. */
    void (*ws_close)(glv_ws_conn *conn, uint16_t code, const char *reason);
    void (*ws_set_arg)(glv_ws_conn *conn, void *conn_arg);
    const char *(*ws_conn_path_tail)(glv_ws_conn *conn);
    const char *(*ws_conn_subprotocol)(glv_ws_conn *conn);
    const char *(*ws_conn_remote_addr)(glv_ws_conn *conn);
    size_t (*ws_conn_pending)(glv_ws_conn *conn); /* bytes waiting to be sent */

    /* ---- ABI 0.1: PostgreSQL (see db.h) ---- */

    int (*db_query)(glv_plugin *p, const char *sql, int nparams, const char *const *params,
                    glv_db_result_fn done, void *arg);
    int (*db_group)(glv_plugin *p, const char *sql, int nparams, const char *const *params,
                    glv_db_result_fn done, void *arg);
    int (*db_begin)(glv_plugin *p, glv_db_txn_fn ready, void *arg);
    int (*db_txn_query)(glv_db_txn *txn, const char *sql, int nparams, const char *const *params,
                        glv_db_result_fn done, void *arg);
    /* Commits; done reports the COMMIT's result. The txn is released. */
    int (*db_commit)(glv_db_txn *txn, glv_db_result_fn done, void *arg);
    /* Rolls back and releases the txn. Queued statements report an error. */
    void (*db_rollback)(glv_db_txn *txn);
    /* LISTEN on a channel (re-established after reconnects). */
    int (*db_listen)(glv_plugin *p, const char *channel, glv_db_notify_fn fn, void *arg);
    /* NOTIFY channel, payload (<= 7999 bytes). */
    int (*db_notify)(glv_plugin *p, const char *channel, const char *payload);
    /* Result accessors. Strings are borrowed, valid during the callback. */
    int (*db_ok)(const glv_db_result *res);               /* 1 success, 0 error */
    const char *(*db_error)(const glv_db_result *res);    /* message or NULL */
    const char *(*db_sqlstate)(const glv_db_result *res); /* "23505" … or NULL */
    int (*db_rows)(const glv_db_result *res);
    int (*db_cols)(const glv_db_result *res);
    const char *(*db_col_name)(const glv_db_result *res, int col);
    const char *(*db_value)(const glv_db_result *res, int row, int col); /* NULL for SQL NULL */
    int64_t (*db_affected)(const glv_db_result *res); /* rows changed by INSERT/UPDATE/DELETE */

    /* ---- ABI 0.1: charger registry and commands ---- */
    /* Types and the charger record: see charger.h. */

    /* Reads a charger's record. done: called once, later; an unknown
     * identity gives charger == NULL and error == NULL. -EINVAL (bad
     * arguments), -ENOTCONN (no database). */
    int (*charger_lookup)(glv_plugin *p, const char *identity, glv_charger_fn done, void *arg);
    /* Creates or updates a charger. fields: borrowed; an object with any of
     * status, security_profile, password_hash (string or null), lenient,
     * connectors, vendor, model, serial, firmware; absent fields keep their
     * value (or the default on creation: status "pending", profile 0,
     * lenient false, connectors 0). done: may be NULL; gets the record as
     * written. -EINVAL names the bad field. */
    int (*charger_provision)(glv_plugin *p, const char *identity, const json_t *fields,
                             glv_charger_fn done, void *arg);
    /* Records that this node (host->node_id) holds the charger's connection
     * through `transport` from now on (connected_at, last_seen), replacing a
     * connection recorded by any other node. done: may be NULL; gets the
     * record, or error code "unknown". */
    int (*charger_attach)(glv_plugin *p, const char *identity, const char *transport,
                          glv_charger_fn done, void *arg);
    /* Records that the connection is gone, only if this node still holds it
     * (a charger that reconnected elsewhere stays attached there). */
    int (*charger_detach)(glv_plugin *p, const char *identity);
    /* Updates last_seen. Cheap to call on every message: written at most once
     * per charger every few seconds, batched with other writes. */
    int (*charger_seen)(glv_plugin *p, const char *identity);

    /* Registers the command handler of a transport on this node (one per
     * transport name; -EEXIST otherwise). fn and arg stay registered until
     * the plugin is finished. */
    int (*command_handler)(glv_plugin *p, const char *transport, glv_command_fn fn, void *arg);
    /* Sends a command to a charger wherever it is connected. args: stolen
     * (an object; NULL for none). timeout_ms: 0 for GLV_COMMAND_TIMEOUT_MS.
     * done: may be NULL; called exactly once, later, with the result or an
     * error (see charger.h for the codes). The command and its outcome are
     * recorded. -EINVAL (bad arguments), -ENOTCONN (no database), -ENOMEM. */
    int (*command_send)(glv_plugin *p, const char *identity, const char *command, json_t *args,
                        uint32_t timeout_ms, glv_command_result_fn done, void *arg);
    /* The transport's answer to a command, exactly once; cmd is released.
     * result, error: stolen; one of them NULL. error: {"code", "message"}. */
    void (*command_reply)(glv_command *cmd, json_t *result, json_t *error);

    /* ---- ABI 0.2: hooks bus ---- */

    /* 1 when the declared notification event has a listener now, 0 when it
     * has none (notify would drop the payload unread), -ENOENT when it is
     * not a declared notification. Cheap: call it before building a large
     * payload. */
    int (*listened)(glv_plugin *p, const char *event);

    /* Append new functions here, with the ABI minor that added them. */
} glv_host;

/* True when the host table has function `fn` (the plugin may be newer). */
#define GLV_HOST_HAS(host, fn)                                                                     \
    ((host) != NULL && (host)->size >= offsetof(glv_host, fn) + sizeof((host)->fn) &&              \
     (host)->fn != NULL)

#ifdef __cplusplus
}
#endif
#endif
