#include "sim_rpc.h"

#include "sim_jsonw.h"
#include "sim_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char run_tag[8];
static size_t run_tag_len;

/* Message ids are "<run>-<n>": unique per charger within a run, and a new
 * run does not reuse the ids of an earlier one. buf holds 32 bytes. */
static size_t message_id(uint32_t n, char *buf)
{
    if (run_tag_len == 0) {
        snprintf(run_tag, sizeof(run_tag), "%06x",
                 (unsigned)((sim_wall_ms() / 1000) ^ ((int64_t)getpid() << 12)) & 0xffffffu);
        run_tag_len = strlen(run_tag);
    }
    memcpy(buf, run_tag, run_tag_len);
    buf[run_tag_len] = '-';
    size_t len = run_tag_len + 1 + sim_format_int(buf + run_tag_len + 1, n);
    buf[len] = '\0';
    return len;
}

bool sim_rpc_is_transactional(enum sim_msg_kind kind)
{
    return kind == SIM_MSG_TX_START || kind == SIM_MSG_TX_METER || kind == SIM_MSG_TX_STOP;
}

static struct sim_action_stats *kind_stats(struct sim_fleet *f, enum sim_msg_kind kind)
{
    if (!f->kind_stats[kind])
        f->kind_stats[kind] = sim_stats_action(&f->stats, f->proto->action(kind));
    return f->kind_stats[kind];
}

/* A MeterValues stops counting as unsent on its connector when it is first
 * sent, or dropped before that. */
static void meter_leaves_queue(struct sim_charger *c, const struct sim_msg *m)
{
    if (m->kind != SIM_MSG_TX_METER || m->attempts > 0 || !m->connector || !c->connectors)
        return;
    struct sim_connector *k = &c->connectors[m->connector];
    if (k->meter_unsent)
        k->meter_unsent--;
}

static void free_msg(struct sim_charger *c, struct sim_msg *m)
{
    meter_leaves_queue(c, m);
    free(m->expect);
    free(m);
}

unsigned sim_rpc_queued(const struct sim_charger *c)
{
    unsigned n = 0;
    for (const struct sim_msg *m = c->head; m; m = m->next)
        n++;
    return n;
}

/* The frame being built; its buffer is kept from one message to the next. */
static struct sim_jw scratch;

static struct sim_msg *build(struct sim_charger *c, enum sim_msg_kind kind,
                             const struct sim_event *ev)
{
    struct sim_fleet *f = c->fleet;
    struct sim_jw *w = &scratch;
    const char *action = f->proto->action(kind);
    char id[32];
    sim_jw_reset(w);
    sim_jw_raw(w, "[2,\"", 4);
    sim_jw_raw(w, id, message_id(c->next_msg_id + 1, id));
    sim_jw_raw(w, "\",\"", 3);
    sim_jw_raw(w, action, strlen(action));
    sim_jw_raw(w, "\",", 2);
    size_t payload_at = w->len;
    if (f->proto->build(c, kind, ev, w) != 0)
        return NULL;
    sim_jw_raw(w, "]", 1);
    size_t room = w->len + (sim_rpc_is_transactional(kind) ? SIM_TX_ID_ROOM : 0);
    if (w->failed || room > UINT32_MAX)
        return NULL;
    struct sim_msg *m = malloc(sizeof(*m) + room);
    if (!m)
        return NULL;
    memset(m, 0, sizeof(*m));
    memcpy(m->frame, w->buf, w->len);
    m->len = (uint32_t)w->len;
    m->room = (uint32_t)room;
    m->payload_at = (uint16_t)payload_at;
    m->kind = (uint8_t)kind;
    m->id = ++c->next_msg_id;
    if (ev->connector > 0 && (unsigned)ev->connector <= sim_charger_connector_count(c))
        m->connector = (uint8_t)ev->connector;
    return m;
}

struct sim_msg *sim_rpc_enqueue(struct sim_charger *c, enum sim_msg_kind kind,
                                const struct sim_event *ev, uint32_t tx_ref)
{
    struct sim_msg *m = build(c, kind, ev);
    if (!m)
        return NULL;
    m->tx_ref = tx_ref;
    if (kind == SIM_MSG_TX_METER && m->connector && c->connectors) {
        struct sim_connector *k = &c->connectors[m->connector];
        if (k->meter_unsent < UINT16_MAX)
            k->meter_unsent++;
    }
    if (kind == SIM_MSG_BOOT && c->head) {
        /* A boot goes before everything that has not been sent yet. */
        struct sim_msg *after = c->in_flight ? c->head : NULL;
        if (after) {
            m->next = after->next;
            after->next = m;
            if (c->tail == after)
                c->tail = m;
        } else {
            m->next = c->head;
            c->head = m;
        }
    } else if (c->tail) {
        c->tail->next = m;
        c->tail = m;
    } else {
        c->head = c->tail = m;
    }
    sim_rpc_pump(c);
    return m;
}

static void notify_frame(struct sim_charger *c, int outgoing, const char *text, size_t len)
{
    struct sim_fleet *f = c->fleet;
    if (f->observer && f->observer->frame)
        f->observer->frame(f->observer_arg, c, outgoing, text, len);
}

static int send_json(struct sim_charger *c, json_t *frame)
{
    char *text = json_dumps(frame, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(frame);
    if (!text)
        return -1;
    size_t len = strlen(text);
    int rc = sim_ws_send_text(&c->ws, text, len);
    if (rc == 0)
        notify_frame(c, 1, text, len);
    free(text);
    return rc;
}

void sim_rpc_pump(struct sim_charger *c)
{
    struct sim_fleet *f = c->fleet;
    struct sim_msg *m = c->head;
    if (!m || c->in_flight || c->answering || c->link != SIM_LINK_UP || c->ws.state != SIM_WS_OPEN)
        return;
    if (f->autonomous && m->kind != SIM_MSG_BOOT && c->boot != SIM_BOOT_ACCEPTED)
        return;
    if (sim_ws_send_text(&c->ws, m->frame, m->len) != 0)
        return;
    notify_frame(c, 1, m->frame, m->len);
    if (m->attempts > 0)
        f->stats.resends++;
    else
        meter_leaves_queue(c, m);
    if (m->attempts < UINT8_MAX)
        m->attempts++;
    c->in_flight = 1;
    c->call_sent_us = sim_now_us(f);
    c->due_call_ms = c->call_sent_us / 1000u + 1 + f->opts->call_timeout_ms;
    kind_stats(f, (enum sim_msg_kind)m->kind)->sent++;
    sim_charger_due(c, c->due_call_ms);
    if (f->drop_after_action[0] &&
        strcmp(f->drop_after_action, f->proto->action((enum sim_msg_kind)m->kind)) == 0) {
        f->drop_after_action[0] = '\0';
        sim_ws_abort_after_drain(&c->ws);
    }
}

int sim_rpc_send_raw(struct sim_charger *c, const char *text)
{
    size_t len = strlen(text);
    int rc = sim_ws_send_text(&c->ws, text, len);
    if (rc == 0)
        notify_frame(c, 1, text, len);
    return rc;
}

static void complete(struct sim_charger *c, json_t *payload, const char *code)
{
    struct sim_fleet *f = c->fleet;
    struct sim_msg *m = c->head;
    c->head = m->next;
    if (!c->head)
        c->tail = NULL;
    c->in_flight = 0;
    c->due_call_ms = 0;
    uint64_t latency = sim_now_us(f) - c->call_sent_us;
    const char *action = f->proto->action((enum sim_msg_kind)m->kind);
    struct sim_action_stats *as = kind_stats(f, (enum sim_msg_kind)m->kind);
    if (c->call_sent_us >= f->latency_from_us)
        sim_histogram_record(&as->latency, latency);
    if (code) {
        as->call_errors++;
        char kind[48];
        snprintf(kind, sizeof(kind), "CallError:%s", code);
        sim_stats_error(&f->stats, kind);
    } else {
        as->answered++;
        sim_charger_on_answer(c, m, payload);
    }
    if (f->observer && f->observer->answered)
        f->observer->answered(f->observer_arg, c, m, action, payload, code, latency);
    free_msg(c, m);
    sim_rpc_pump(c);
}

static void answer_call(struct sim_charger *c, const char *id, const char *action, json_t *payload)
{
    struct sim_fleet *f = c->fleet;
    sim_stats_action(&f->stats, action)->received++;
    if (f->observer && f->observer->call_received)
        f->observer->call_received(f->observer_arg, c, action, payload);
    const char *code = NULL, *desc = NULL;
    c->answering = 1;
    json_t *result = f->proto->answer_call(c, action, payload, &code, &desc);
    c->answering = 0;
    if (result)
        send_json(c, json_pack("[i,s,o]", 3, id, result));
    else
        send_json(
            c, json_pack("[i,s,s,s,{}]", 4, id, code ? code : "InternalError", desc ? desc : ""));
    sim_rpc_pump(c);
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static bool take(const char **p, const char *end, char ch)
{
    *p = skip_space(*p, end);
    if (*p == end || **p != ch)
        return false;
    (*p)++;
    return true;
}

/* True when text is [3,"<id>",{}]: the answer of most calls, read without
 * building a tree. */
static bool is_empty_result(const char *text, size_t len, const char *id, size_t id_len)
{
    const char *p = text, *end = text + len;
    if (!take(&p, end, '[') || !take(&p, end, '3') || !take(&p, end, ',') || !take(&p, end, '"'))
        return false;
    if ((size_t)(end - p) <= id_len || memcmp(p, id, id_len) != 0 || p[id_len] != '"')
        return false;
    p += id_len + 1;
    return take(&p, end, ',') && take(&p, end, '{') && take(&p, end, '}') && take(&p, end, ']') &&
           skip_space(p, end) == end;
}

void sim_rpc_on_text(struct sim_charger *c, const char *data, size_t len)
{
    struct sim_fleet *f = c->fleet;
    notify_frame(c, 0, data, len);
    char expected[32] = "";
    if (c->in_flight && c->head) {
        size_t expected_len = message_id(c->head->id, expected);
        if (is_empty_result(data, len, expected, expected_len)) {
            complete(c, NULL, NULL);
            return;
        }
    }
    json_error_t err;
    json_t *frame = json_loadb(data, len, 0, &err);
    json_int_t type = -1;
    const char *id = NULL;
    if (!frame || !json_is_array(frame) || json_array_size(frame) < 3 ||
        !json_is_integer(json_array_get(frame, 0)) || !json_is_string(json_array_get(frame, 1))) {
        sim_stats_error(&f->stats, "bad-frame-from-csms");
        /* A call we cannot read still gets an error when its id is visible. */
        if (frame && json_is_array(frame) && json_is_string(json_array_get(frame, 1)))
            send_json(c, json_pack("[i,s,s,s,{}]", 4, json_string_value(json_array_get(frame, 1)),
                                   "FormationViolation", "malformed frame"));
        json_decref(frame);
        return;
    }
    type = json_integer_value(json_array_get(frame, 0));
    id = json_string_value(json_array_get(frame, 1));
    if (type == 2) {
        json_t *action = json_array_get(frame, 2);
        json_t *payload = json_array_get(frame, 3);
        if (!json_is_string(action) || !json_is_object(payload) || json_array_size(frame) != 4) {
            send_json(c, json_pack("[i,s,s,s,{}]", 4, id, "FormationViolation",
                                   "call must be [2,id,action,{payload}]"));
        } else {
            answer_call(c, id, json_string_value(action), payload);
        }
    } else if (type == 3 && c->in_flight && strcmp(id, expected) == 0) {
        json_t *payload = json_array_get(frame, 2);
        if (!json_is_object(payload)) {
            sim_stats_error(&f->stats, "bad-answer-payload");
            payload = NULL;
        }
        complete(c, payload, payload ? NULL : "FormationViolation");
    } else if (type == 4 && c->in_flight && strcmp(id, expected) == 0 &&
               json_is_string(json_array_get(frame, 2))) {
        complete(c, NULL, json_string_value(json_array_get(frame, 2)));
    } else if (type == 4) {
        const char *code = json_string_value(json_array_get(frame, 2));
        const char *desc = json_string_value(json_array_get(frame, 3));
        char kind[48];
        snprintf(kind, sizeof(kind), "CallError:%s", code ? code : "?");
        sim_stats_error(&f->stats, kind);
        if (f->observer && f->observer->error_received)
            f->observer->error_received(f->observer_arg, c, id, code ? code : "", desc ? desc : "");
    } else {
        sim_stats_error(&f->stats, "unexpected-answer");
        if (f->observer && f->observer->error_received && type == 3)
            f->observer->error_received(f->observer_arg, c, id, "", "result without a call");
    }
    json_decref(frame);
}

static void discard(struct sim_charger *c, struct sim_msg *m, const char *why)
{
    struct sim_fleet *f = c->fleet;
    if (f->observer && f->observer->discarded)
        f->observer->discarded(f->observer_arg, c, m, why);
    free_msg(c, m);
}

void sim_rpc_on_link_down(struct sim_charger *c)
{
    struct sim_fleet *f = c->fleet;
    c->in_flight = 0;
    c->due_call_ms = 0;
    struct sim_msg *keep = NULL, *keep_tail = NULL, *next;
    for (struct sim_msg *m = c->head; m; m = next) {
        next = m->next;
        m->next = NULL;
        if (sim_rpc_is_transactional((enum sim_msg_kind)m->kind)) {
            if (keep_tail)
                keep_tail->next = m;
            else
                keep = m;
            keep_tail = m;
        } else {
            discard(c, m, "connection lost");
        }
    }
    c->head = keep;
    c->tail = keep_tail;
    if (f->observer && f->observer->deferred) {
        for (struct sim_msg *m = c->head; m; m = m->next)
            f->observer->deferred(f->observer_arg, c, m);
    }
}

void sim_rpc_on_timeout(struct sim_charger *c)
{
    struct sim_fleet *f = c->fleet;
    struct sim_msg *m = c->head;
    c->due_call_ms = 0;
    if (!m || !c->in_flight)
        return;
    const char *action = f->proto->action((enum sim_msg_kind)m->kind);
    char kind[48];
    snprintf(kind, sizeof(kind), "timeout:%s", action);
    sim_stats_error(&f->stats, kind);
    c->in_flight = 0;
    if (sim_rpc_is_transactional((enum sim_msg_kind)m->kind) &&
        m->attempts <= f->opts->tx_retries) {
        sim_rpc_pump(c); /* resend the same frame */
        return;
    }
    c->head = m->next;
    if (!c->head)
        c->tail = NULL;
    discard(c, m, "no answer");
    sim_rpc_pump(c);
}

void sim_rpc_clear(struct sim_charger *c)
{
    struct sim_msg *next;
    for (struct sim_msg *m = c->head; m; m = next) {
        next = m->next;
        free_msg(c, m);
    }
    c->head = c->tail = NULL;
    c->in_flight = 0;
}

void sim_rpc_set_transaction_id(struct sim_charger *c, uint32_t tx_ref, int32_t transaction_id)
{
    const struct sim_protocol *proto = c->fleet->proto;
    for (struct sim_msg *m = c->head; m; m = m->next) {
        /* a message sent before keeps its bytes; room for the id is made
         * once, when the message is built */
        if (m->tx_ref != tx_ref || m->kind == SIM_MSG_TX_START || m->attempts > 0 ||
            m->room - m->len < SIM_TX_ID_ROOM)
            continue;
        size_t len = proto->set_transaction_id((enum sim_msg_kind)m->kind, m->frame + m->payload_at,
                                               m->len - m->payload_at - 1, transaction_id);
        m->frame[m->payload_at + len] = ']';
        m->len = (uint32_t)(m->payload_at + len + 1);
    }
}
