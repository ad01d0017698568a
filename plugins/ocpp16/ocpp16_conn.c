/* One charger's OCPP-J connection: RPC, liveness and the connection table;
 * see ocpp16_conn.h. */
#include "ocpp16_conn.h"

#include "ocpp16_plugin.h"
#include "ocpp16_validate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct glv_ocpp16_inbound {
    struct glv_ocpp16_inbound *next;
    struct glv_ocppj_frame frame; /* a CALL with a known action */
    /* a MeterValues read from its text (readings owned; the frame then has
     * no payload and its id is meter.id), else readings NULL */
    struct glv_ocpp16_meter_call meter;
    uint64_t received_ms;
};

static void inbound_clear(struct glv_ocpp16_inbound *in)
{
    glv_ocppj_frame_clear(&in->frame);
    free(in->meter.readings);
}

static void inbound_free(struct glv_ocpp16_inbound *in)
{
    inbound_clear(in);
    free(in);
}

struct glv_ocpp16_outbound {
    struct glv_ocpp16_outbound *next;
    const struct glv_ocpp16_action *action;
    json_t *payload; /* owned */
    glv_ocpp16_call_fn done;
    void *arg;
    char id[24];
};

/* ---- the table of connections by identity ---- */

static size_t hash_identity(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h % n);
}

static int table_grow(struct glv_ocpp16_conn_table *t)
{
    size_t n = t->nbuckets ? t->nbuckets * 2 : 256;
    struct glv_ocpp16_conn **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct glv_ocpp16_conn *c = t->buckets[i];
        while (c != NULL) {
            struct glv_ocpp16_conn *next = c->hash_next;
            size_t h = hash_identity(c->identity, n);
            c->hash_next = b[h];
            b[h] = c;
            c = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
    return 0;
}

struct glv_ocpp16_conn *glv_ocpp16_conn_find(const char *identity)
{
    struct glv_ocpp16_conn_table *t = &glv_ocpp16.conns;
    if (t->nbuckets == 0)
        return NULL;
    for (struct glv_ocpp16_conn *c = t->buckets[hash_identity(identity, t->nbuckets)]; c != NULL;
         c = c->hash_next)
        if (strcmp(c->identity, identity) == 0)
            return c;
    return NULL;
}

static void table_remove(struct glv_ocpp16_conn *c)
{
    struct glv_ocpp16_conn_table *t = &glv_ocpp16.conns;
    if (!c->in_table)
        return;
    struct glv_ocpp16_conn **pp = &t->buckets[hash_identity(c->identity, t->nbuckets)];
    while (*pp != NULL && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp == c)
        *pp = c->hash_next;
    c->hash_next = NULL;
    c->in_table = false;
    t->count--;
}

static int table_insert(struct glv_ocpp16_conn *c)
{
    struct glv_ocpp16_conn_table *t = &glv_ocpp16.conns;
    if ((t->count + 1) * 2 > t->nbuckets && table_grow(t) < 0)
        return -ENOMEM;
    size_t h = hash_identity(c->identity, t->nbuckets);
    c->hash_next = t->buckets[h];
    t->buckets[h] = c;
    c->in_table = true;
    t->count++;
    return 0;
}

void glv_ocpp16_conn_table_free(void)
{
    free(glv_ocpp16.conns.buckets);
    memset(&glv_ocpp16.conns, 0, sizeof glv_ocpp16.conns);
}

/* ---- life cycle ---- */

struct glv_ocpp16_conn *glv_ocpp16_conn_new(const char *identity, const char *listener,
                                            const char *remote, int profile)
{
    struct glv_ocpp16_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->identity = strdup(identity);
    c->listener = strdup(listener ? listener : "");
    if (c->identity == NULL || c->listener == NULL) {
        free(c->identity);
        free(c->listener);
        free(c);
        return NULL;
    }
    snprintf(c->remote, sizeof c->remote, "%s", remote ? remote : "");
    c->refs = 1;
    c->profile = profile;
    snprintf(c->status, sizeof c->status, "%s", GLV_CHARGER_PENDING);
    c->heartbeat_ms = glv_ocpp16.cfg.heartbeat_s * 1000u;
    return c;
}

void glv_ocpp16_conn_ref(struct glv_ocpp16_conn *c)
{
    c->refs++;
}

void glv_ocpp16_conn_unref(struct glv_ocpp16_conn *c)
{
    if (c == NULL || --c->refs > 0)
        return;
    json_decref(c->boot_ref);
    free(c->identity);
    free(c->listener);
    free(c);
}

static void warn_quirk(void *arg, const char *path, const char *what)
{
    struct glv_ocpp16_conn *c = arg;
    OCPP16_LOG(GLV_LOG_NOTICE, "%s: lenient: accepted %s%s%s", c->identity, path,
               path[0] ? ": " : "", what);
    OCPP16_HOST->metric_add(glv_ocpp16.m_quirks, 1);
}

void glv_ocpp16_conn_validate_opts(struct glv_ocpp16_conn *c, struct glv_ocpp16_validate_opts *opts)
{
    opts->lenient = c->lenient;
    opts->warn = warn_quirk;
    opts->warn_arg = c;
}

/* The frame being sent: one buffer for the loop, reused by every writer
 * (ws_send copies what it cannot send at once). */
static struct glv_ocpp16_text frame_out;
/* The {} of glv_ocpp16_reply_empty: shared by every answer, never changed. */
static json_t *empty_payload;

void glv_ocpp16_conn_fini(void)
{
    glv_ocpp16_text_free(&frame_out);
    json_decref(empty_payload);
    empty_payload = NULL;
}

/* Sends frame_out, written with rc; logs what was not sent. */
static void conn_send(struct glv_ocpp16_conn *c, int rc)
{
    if (c->ws == NULL)
        return;
    if (rc == 0)
        rc = OCPP16_HOST->ws_send(c->ws, frame_out.p, frame_out.len, 1);
    if (rc < 0)
        OCPP16_LOG(GLV_LOG_WARNING, "%s: message not sent (%s)", c->identity, strerror(-rc));
}

void glv_ocpp16_conn_close(struct glv_ocpp16_conn *c, uint16_t code, const char *cause)
{
    if (c->ws == NULL)
        return;
    if (c->close_cause == NULL)
        c->close_cause = cause;
    OCPP16_HOST->ws_close(c->ws, code, cause);
}

static void conn_retire(struct glv_ocpp16_conn *c, const char *cause, uint16_t code);

/* ---- liveness: a silent charger is closed after two heartbeat intervals ---- */

static void liveness_fire(void *arg)
{
    struct glv_ocpp16_conn *c = arg;
    c->liveness = NULL; /* a fired one-shot timer is freed by the host */
    if (c->ws == NULL)
        return;
    uint64_t now = OCPP16_HOST->monotonic_ms();
    uint64_t deadline = c->last_rx_ms + 2ull * c->heartbeat_ms;
    if (now >= deadline) {
        OCPP16_LOG(GLV_LOG_NOTICE, "%s: silent for %" PRIu64 " ms (heartbeat %u s), closing",
                   c->identity, now - c->last_rx_ms, c->heartbeat_ms / 1000u);
        OCPP16_HOST->metric_add(glv_ocpp16.m_timeouts, 1);
        glv_ocpp16_conn_close(c, GLV_WS_CLOSE_GOING_AWAY, "timeout");
        conn_retire(c, "timeout", 1006);
        return;
    }
    c->liveness =
        OCPP16_HOST->timer_start(glv_ocpp16.p, (uint32_t)(deadline - now), 0, liveness_fire, c);
}

void glv_ocpp16_conn_liveness_reset(struct glv_ocpp16_conn *c)
{
    if (c->ws == NULL)
        return;
    if (c->liveness != NULL)
        OCPP16_HOST->timer_stop(c->liveness);
    uint64_t now = OCPP16_HOST->monotonic_ms();
    uint64_t deadline = c->last_rx_ms + 2ull * c->heartbeat_ms;
    c->liveness = OCPP16_HOST->timer_start(
        glv_ocpp16.p, deadline > now ? (uint32_t)(deadline - now) : 1, 0, liveness_fire, c);
}

/* ---- outbound CALLs ---- */

static void out_pump(struct glv_ocpp16_conn *c);

static json_t *error_object(const char *code, const char *message)
{
    return json_pack("{s:s, s:s}", "code", code, "message", message);
}

static void out_finish(struct glv_ocpp16_conn *c, struct glv_ocpp16_outbound *o,
                       const json_t *result, const json_t *error)
{
    o->done(c, result, error, o->arg);
    json_decref(o->payload);
    free(o);
    glv_ocpp16_conn_unref(c);
}

static void call_timeout(void *arg)
{
    struct glv_ocpp16_conn *c = arg;
    c->call_timer = NULL;
    struct glv_ocpp16_outbound *o = c->in_flight;
    if (o == NULL)
        return;
    c->in_flight = NULL;
    OCPP16_LOG(GLV_LOG_WARNING, "%s: %s (id %s) not answered within %u ms", c->identity,
               o->action->name, o->id, glv_ocpp16.cfg.call_timeout_ms);
    json_t *err = error_object("timeout", "the charger did not answer in time");
    glv_ocpp16_conn_ref(c);
    out_finish(c, o, NULL, err);
    json_decref(err);
    out_pump(c);
    glv_ocpp16_conn_unref(c);
}

static void out_pump(struct glv_ocpp16_conn *c)
{
    while (c->in_flight == NULL && c->out_head != NULL) {
        struct glv_ocpp16_outbound *o = c->out_head;
        c->out_head = o->next;
        if (c->out_head == NULL)
            c->out_tail = NULL;
        o->next = NULL;
        snprintf(o->id, sizeof o->id, "%" PRIu64, ++c->next_call_id);
        int rc = c->ws == NULL
                     ? -EPIPE
                     : glv_ocppj_write_call(&frame_out, o->id, o->action->name, o->payload);
        if (rc == 0)
            rc = OCPP16_HOST->ws_send(c->ws, frame_out.p, frame_out.len, 1);
        if (rc < 0) {
            json_t *err = error_object("offline", "the call could not be sent");
            out_finish(c, o, NULL, err);
            json_decref(err);
            continue;
        }
        OCPP16_HOST->metric_add(glv_ocpp16.m_calls_out, 1);
        c->in_flight = o;
        c->call_timer = OCPP16_HOST->timer_start(glv_ocpp16.p, glv_ocpp16.cfg.call_timeout_ms, 0,
                                                 call_timeout, c);
    }
}

static void out_pump_deferred(void *arg)
{
    struct glv_ocpp16_conn *c = arg;
    out_pump(c);
    glv_ocpp16_conn_unref(c);
}

int glv_ocpp16_call(struct glv_ocpp16_conn *c, const struct glv_ocpp16_action *action,
                    json_t *payload, glv_ocpp16_call_fn done, void *arg)
{
    if (c->ws == NULL) {
        json_decref(payload);
        return -EPIPE;
    }
    struct glv_ocpp16_outbound *o = calloc(1, sizeof *o);
    if (o == NULL) {
        json_decref(payload);
        return -ENOMEM;
    }
    o->action = action;
    o->payload = payload;
    o->done = done;
    o->arg = arg;
    glv_ocpp16_conn_ref(c); /* held by the outbound call */
    if (c->out_tail != NULL)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    glv_ocpp16_conn_ref(c); /* held by the deferred pump */
    if (OCPP16_HOST->defer(glv_ocpp16.p, out_pump_deferred, c) < 0)
        glv_ocpp16_conn_unref(c);
    return 0;
}

static void handle_response(struct glv_ocpp16_conn *c, struct glv_ocppj_frame *f)
{
    struct glv_ocpp16_outbound *o = c->in_flight;
    if (o == NULL || strcmp(o->id, f->id) != 0) {
        OCPP16_LOG(GLV_LOG_WARNING,
                   "%s: ProtocolError: response with id '%.36s' matches no "
                   "outstanding call; ignored",
                   c->identity, f->id);
        return;
    }
    c->in_flight = NULL;
    if (c->call_timer != NULL) {
        OCPP16_HOST->timer_stop(c->call_timer);
        c->call_timer = NULL;
    }
    json_t *err = NULL;
    if (f->type == GLV_OCPPJ_CALLERROR) {
        err = json_pack("{s:s, s:s, s:s}", "code", "call_error", "message",
                        f->error_description ? f->error_description : "", "ocpp_error",
                        f->error_code_name ? f->error_code_name : "GenericError");
        if (err != NULL && json_is_object(f->payload) && json_object_size(f->payload) > 0)
            json_object_set(err, "details", f->payload);
        out_finish(c, o, NULL, err);
    } else {
        struct glv_ocpp16_validate_opts opts;
        struct glv_ocpp16_violation v;
        glv_ocpp16_conn_validate_opts(c, &opts);
        if (glv_ocpp16_validate(o->action->response, f->payload, &opts, &v) != GLV_OCPP16_OK) {
            OCPP16_LOG(GLV_LOG_WARNING, "%s: invalid %s response: %s: %s", c->identity,
                       o->action->name, glv_ocpp16_error_name(v.code), v.description);
            err = json_pack("{s:s, s:s, s:s}", "code", "invalid_response", "message", v.description,
                            "ocpp_error", glv_ocpp16_error_name(v.code));
            out_finish(c, o, NULL, err);
        } else {
            out_finish(c, o, f->payload, NULL);
        }
    }
    json_decref(err);
    out_pump(c);
}

static void fail_outbound(struct glv_ocpp16_conn *c)
{
    json_t *err = error_object("offline", "the connection closed before the charger answered");
    if (c->call_timer != NULL) {
        OCPP16_HOST->timer_stop(c->call_timer);
        c->call_timer = NULL;
    }
    struct glv_ocpp16_outbound *o = c->in_flight;
    c->in_flight = NULL;
    if (o != NULL)
        out_finish(c, o, NULL, err);
    while ((o = c->out_head) != NULL) {
        c->out_head = o->next;
        out_finish(c, o, NULL, err);
    }
    c->out_tail = NULL;
    json_decref(err);
}

/* ---- inbound CALLs ---- */

static void send_error(struct glv_ocpp16_conn *c, const char *id, enum glv_ocpp16_error code,
                       const char *description)
{
    OCPP16_HOST->metric_add(glv_ocpp16.m_errors_in, 1);
    conn_send(c, glv_ocppj_write_error(&frame_out, id, code, description, NULL));
}

static void pump(struct glv_ocpp16_conn *c);

static void request_free(struct glv_ocpp16_request *req)
{
    struct glv_ocpp16_conn *c = req->conn;
    json_decref(req->payload);
    free(req->meter.readings);
    free(req);
    c->busy = false;
    pump(c);
    glv_ocpp16_conn_unref(c);
}

void glv_ocpp16_reply(struct glv_ocpp16_request *req, json_t *payload)
{
    struct glv_ocpp16_conn *c = req->conn;
    struct glv_ocpp16_violation v;
    if (payload == NULL ||
        glv_ocpp16_validate(req->action->response, payload, NULL, &v) != GLV_OCPP16_OK) {
        OCPP16_LOG(GLV_LOG_ERR, "%s: our %s answer is invalid (%s); sent InternalError instead",
                   c->identity, req->action->name, payload ? v.description : "no payload");
        json_decref(payload);
        send_error(c, req->id, GLV_OCPP16_INTERNAL_ERROR, "the answer could not be built");
        request_free(req);
        return;
    }
    conn_send(c, glv_ocppj_write_result(&frame_out, req->id, payload));
    json_decref(payload);
    request_free(req);
}

void glv_ocpp16_reply_empty(struct glv_ocpp16_request *req)
{
    if (empty_payload == NULL)
        empty_payload = json_object();
    glv_ocpp16_reply(req, json_incref(empty_payload));
}

void glv_ocpp16_reply_error(struct glv_ocpp16_request *req, enum glv_ocpp16_error code,
                            const char *description)
{
    send_error(req->conn, req->id, code, description);
    request_free(req);
}

static void dispatch(struct glv_ocpp16_conn *c, struct glv_ocpp16_inbound *in)
{
    struct glv_ocppj_frame *f = &in->frame;
    const struct glv_ocpp16_action *action = f->action_def;
    struct glv_ocpp16_validate_opts opts;
    struct glv_ocpp16_violation v;
    glv_ocpp16_conn_validate_opts(c, &opts);
    enum glv_ocpp16_error code = in->meter.readings != NULL
                                     ? GLV_OCPP16_OK /* valid, as read */
                                     : glv_ocpp16_validate(action->request, f->payload, &opts, &v);
    if (code != GLV_OCPP16_OK) {
        OCPP16_LOG(GLV_LOG_NOTICE, "%s: %s refused: %s: %s", c->identity, action->name,
                   glv_ocpp16_error_name(code), v.description);
        send_error(c, f->id, code, v.description);
        return;
    }
    if (strcmp(c->status, GLV_CHARGER_ACCEPTED) != 0 &&
        strcmp(action->name, "BootNotification") != 0) {
        send_error(c, f->id, GLV_OCPP16_SECURITY_ERROR,
                   "the charger is not accepted: send BootNotification");
        return;
    }
    glv_ocpp16_handler_fn fn = glv_ocpp16_handler_find(action->name);
    if (fn == NULL) {
        send_error(c, f->id, GLV_OCPP16_NOT_SUPPORTED, "action not supported by this system");
        return;
    }
    struct glv_ocpp16_request *req = calloc(1, sizeof *req);
    if (req == NULL) {
        send_error(c, f->id, GLV_OCPP16_INTERNAL_ERROR, "out of memory");
        return;
    }
    req->conn = c;
    glv_ocpp16_conn_ref(c);
    snprintf(req->id, sizeof req->id, "%s", f->id);
    req->action = action;
    req->payload = json_incref(f->payload);
    req->meter = in->meter;
    in->meter.readings = NULL;
    req->received_ms = in->received_ms;
    c->busy = true;
    OCPP16_HOST->metric_add(glv_ocpp16.m_calls_in, 1);
    fn(req);
}

static void pump(struct glv_ocpp16_conn *c)
{
    if (c->pumping)
        return;
    c->pumping = true;
    glv_ocpp16_conn_ref(c);
    while (!c->busy && c->in_head != NULL && c->ws != NULL) {
        struct glv_ocpp16_inbound *in = c->in_head;
        c->in_head = in->next;
        if (c->in_head == NULL)
            c->in_tail = NULL;
        c->in_count--;
        dispatch(c, in);
        inbound_free(in);
    }
    c->pumping = false;
    glv_ocpp16_conn_unref(c);
}

static void drop_inbound(struct glv_ocpp16_conn *c)
{
    struct glv_ocpp16_inbound *in;
    while ((in = c->in_head) != NULL) {
        c->in_head = in->next;
        inbound_free(in);
    }
    c->in_tail = NULL;
    c->in_count = 0;
}

/* ---- WebSocket handlers ---- */

void glv_ocpp16_after_attach(struct glv_ocpp16_request *req,
                             void (*fn)(struct glv_ocpp16_request *req))
{
    struct glv_ocpp16_conn *c = req->conn;
    if (c->attach_answered || c->ws == NULL) {
        fn(req);
        return;
    }
    c->attach_waiter = req;
    c->attach_waiter_fn = fn;
}

static void attach_done(const json_t *charger, const json_t *error, void *arg)
{
    struct glv_ocpp16_conn *c = arg;
    c->attach_answered = true;
    if (error != NULL || charger == NULL) {
        OCPP16_LOG(GLV_LOG_WARNING, "%s: cannot record the connection: %s", c->identity,
                   json_string_value(json_object_get(error, "message")));
        if (c->ws != NULL) {
            glv_ocpp16_conn_close(c, GLV_WS_CLOSE_POLICY, "unregistered");
        }
    } else if (c->ws != NULL) {
        c->attached = true;
        json_t *ev = glv_ocpp16_event_new(c->identity, -1);
        if (ev != NULL) {
            json_object_set_new(ev, "security_profile", json_integer(c->profile));
            json_object_set_new(ev, "listener", json_string(c->listener));
            json_object_set_new(ev, "remote_addr", json_string(c->remote));
            json_object_set_new(ev, "protocol", json_string("ocpp1.6"));
            glv_ocpp16_emit("charger.connected", ev);
        }
    } else if (c->close_cause == NULL || strcmp(c->close_cause, "replaced") != 0) {
        /* closed before the attach was written: undo it */
        OCPP16_HOST->charger_detach(glv_ocpp16.p, c->identity);
    }
    struct glv_ocpp16_request *req = c->attach_waiter;
    if (req != NULL) {
        c->attach_waiter = NULL;
        c->attach_waiter_fn(req);
    }
    glv_ocpp16_conn_unref(c);
}

static void on_open(glv_ws_conn *ws, void *conn_arg)
{
    struct glv_ocpp16_conn *c = conn_arg;
    c->ws = ws;
    struct glv_ocpp16_conn *old = glv_ocpp16_conn_find(c->identity);
    if (old != NULL) {
        OCPP16_LOG(GLV_LOG_NOTICE, "%s: new connection from %s replaces the open one", c->identity,
                   c->remote);
        table_remove(old);
        glv_ocpp16_conn_close(old, GLV_WS_CLOSE_POLICY, "replaced");
    }
    if (table_insert(c) < 0) {
        glv_ocpp16_conn_close(c, GLV_WS_CLOSE_INTERNAL, "out of memory");
        return;
    }
    OCPP16_HOST->metric_add(glv_ocpp16.m_connections, 1);
    c->last_rx_ms = OCPP16_HOST->monotonic_ms();
    c->liveness = OCPP16_HOST->timer_start(glv_ocpp16.p, 2u * c->heartbeat_ms, 0, liveness_fire, c);
    OCPP16_LOG(GLV_LOG_INFO, "%s: connected from %s on %s (profile %d%s)", c->identity, c->remote,
               c->listener, c->profile, c->lenient ? ", lenient" : "");
    glv_ocpp16_conn_ref(c);
    if (OCPP16_HOST->charger_attach(glv_ocpp16.p, c->identity, GLV_OCPP16_TRANSPORT, attach_done,
                                    c) < 0) {
        c->attach_answered = true;
        glv_ocpp16_conn_unref(c);
        glv_ocpp16_conn_close(c, GLV_WS_CLOSE_INTERNAL, "registry unavailable");
    }
}

/* A MeterValues CALL in the plain form, read without a JSON tree
 * (ocpp16_meter_decode.h) into *meter, with *frame set to match (its id
 * is meter->id); false for any other message, which then takes the
 * general path. */
static bool read_meter_values(const char *data, size_t len, struct glv_ocpp16_meter_call *meter,
                              struct glv_ocppj_frame *frame)
{
    static const struct glv_ocpp16_action *meter_values;
    if (meter_values == NULL)
        meter_values = glv_ocpp16_action_find("MeterValues");
    if (meter_values == NULL || !glv_ocpp16_meter_decode(data, len, meter))
        return false;
    frame->type = GLV_OCPPJ_CALL;
    frame->id = meter->id;
    frame->id_len = strlen(meter->id);
    frame->action = meter_values->name;
    frame->action_def = meter_values;
    return true;
}

/* Parses a message on the general path; false when it was refused (and
 * answered when it can be). */
static bool parse_frame(struct glv_ocpp16_conn *c, const char *data, size_t len,
                        struct glv_ocppj_frame *frame)
{
    struct glv_ocpp16_validate_opts opts;
    glv_ocpp16_conn_validate_opts(c, &opts);
    struct glv_ocppj_parse_error err;
    if (glv_ocppj_parse(data, len, GLV_OCPP16_FROM_CHARGER, &opts, frame, &err) == 0)
        return true;
    OCPP16_LOG(GLV_LOG_NOTICE, "%s: refused message: %s: %s", c->identity,
               glv_ocpp16_error_name(err.code), err.description);
    if (err.can_reply && frame->id != NULL)
        send_error(c, frame->id, err.code, err.description);
    glv_ocppj_frame_clear(frame);
    return false;
}

static void on_message(glv_ws_conn *ws, const char *data, size_t len, int is_text, void *conn_arg)
{
    struct glv_ocpp16_conn *c = conn_arg;
    c->last_rx_ms = OCPP16_HOST->monotonic_ms();
    OCPP16_HOST->charger_seen(glv_ocpp16.p, c->identity);
    if (!is_text) {
        glv_ocpp16_conn_close(c, GLV_WS_CLOSE_UNSUPPORTED, "binary");
        return;
    }
    struct glv_ocppj_frame frame;
    memset(&frame, 0, sizeof frame);
    struct glv_ocpp16_meter_call meter = {.readings = NULL};
    if (!read_meter_values(data, len, &meter, &frame) && !parse_frame(c, data, len, &frame))
        return;
    if (frame.type != GLV_OCPPJ_CALL) {
        handle_response(c, &frame);
        glv_ocppj_frame_clear(&frame);
        return;
    }
    struct glv_ocpp16_inbound now = {.frame = frame, .meter = meter, .received_ms = c->last_rx_ms};
    if (meter.readings != NULL)
        now.frame.id = now.meter.id; /* the id moved with the meter values */
    if (!c->busy && c->in_head == NULL && !c->pumping) {
        /* nothing waits before it: dispatched without being queued */
        glv_ocpp16_conn_ref(c);
        dispatch(c, &now);
        inbound_clear(&now);
        glv_ocpp16_conn_unref(c);
        return;
    }
    struct glv_ocpp16_inbound *in = NULL;
    if (c->in_count >= glv_ocpp16.cfg.max_queue)
        send_error(c, now.frame.id, GLV_OCPP16_GENERIC_ERROR,
                   "too many calls waiting for an answer; wait for each CALLRESULT");
    else if ((in = malloc(sizeof *in)) == NULL)
        send_error(c, now.frame.id, GLV_OCPP16_INTERNAL_ERROR, "out of memory");
    if (in == NULL) {
        inbound_clear(&now);
        return;
    }
    *in = now; /* the frame's reference and the readings move to the queue */
    if (meter.readings != NULL)
        in->frame.id = in->meter.id;
    if (c->in_tail != NULL)
        c->in_tail->next = in;
    else
        c->in_head = in;
    c->in_tail = in;
    c->in_count++;
    pump(c);
}

/* The connection is over for the registry and the bus: detach, emit
 * charger.disconnected, leave the table. Runs once, at the first of the
 * socket's end and our decision to drop a silent charger (whose close
 * handshake may take long). */
static void conn_retire(struct glv_ocpp16_conn *c, const char *cause, uint16_t code)
{
    if (c->retired)
        return;
    c->retired = true;
    bool replaced = strcmp(cause, "replaced") == 0;
    table_remove(c);
    OCPP16_HOST->metric_add(glv_ocpp16.m_connections, -1);
    OCPP16_LOG(GLV_LOG_INFO, "%s: disconnected (%s, code %u)", c->identity, cause, code);
    if (c->attached && !replaced)
        OCPP16_HOST->charger_detach(glv_ocpp16.p, c->identity);
    if (c->attached) {
        json_t *ev = glv_ocpp16_event_new(c->identity, -1);
        if (ev != NULL) {
            json_object_set_new(ev, "reason", json_string(cause));
            json_object_set_new(ev, "code", json_integer(code));
            glv_ocpp16_emit("charger.disconnected", ev);
        }
    }
}

static void on_close(glv_ws_conn *ws, uint16_t code, const char *reason, void *conn_arg)
{
    struct glv_ocpp16_conn *c = conn_arg;
    c->ws = NULL;
    if (c->liveness != NULL) {
        OCPP16_HOST->timer_stop(c->liveness);
        c->liveness = NULL;
    }
    drop_inbound(c);
    fail_outbound(c);
    const char *cause = c->close_cause;
    if (cause == NULL && reason != NULL && strcmp(reason, "ping timeout") == 0)
        cause = "timeout";
    if (cause == NULL)
        cause = glv_ocpp16.stopping ? "shutdown" : "closed";
    conn_retire(c, cause, code);
    glv_ocpp16_conn_unref(c); /* the socket's reference */
}

const glv_ws_handlers glv_ocpp16_ws_handlers = {
    .size = sizeof(glv_ws_handlers),
    .on_upgrade = glv_ocpp16_on_upgrade,
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};
