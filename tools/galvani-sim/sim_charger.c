#include "sim_charger.h"

#include "sim_ocpp16_config.h"
#include "sim_protocol.h"
#include "sim_rpc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t sim_now_us(const struct sim_fleet *f)
{
    return mono_us() - f->t0_us;
}

uint64_t sim_now_ms(const struct sim_fleet *f)
{
    return sim_now_us(f) / 1000u + 1; /* never 0: 0 means "not scheduled" */
}

int64_t sim_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg);

unsigned sim_charger_connector_count(const struct sim_charger *c)
{
    return c->fleet->opts->connectors;
}

void sim_charger_init(struct sim_charger *c, struct sim_fleet *f, uint32_t index)
{
    const struct sim_options *o = f->opts;
    memset(c, 0, sizeof(*c));
    c->fleet = f;
    c->index = index;
    c->hb_interval_s = o->heartbeat_s;
    c->meter_interval_s = o->meter_interval_s;
    c->security_profile = (uint8_t)o->profile;
    c->backoff_ms = o->reconnect_min_ms;
    c->connectors = calloc(o->connectors + 1, sizeof(*c->connectors));
    for (unsigned i = 0; c->connectors && i <= o->connectors; i++) {
        struct sim_connector *k = &c->connectors[i];
        k->reservation_id = -1;
        k->status = SIM_ST_AVAILABLE;
        /* A used meter: registers start somewhere between 1 and 50 MWh. */
        k->meter.energy_wh =
            1000000.0 + (double)(((index + 1) * 7919u + i * 104729u) % 49000u) * 1000.0;
    }
    event_assign(&c->tick, f->base, -1, 0, tick_cb, c);
}

void sim_charger_free(struct sim_charger *c)
{
    if (event_initialized(&c->tick))
        evtimer_del(&c->tick);
    sim_ws_abort(&c->ws);
    sim_rpc_clear(c);
    sim_ocpp16_config_free(c);
    free(c->connectors);
    c->connectors = NULL;
    free(c->password);
    c->password = NULL;
}

void sim_charger_identity(const struct sim_charger *c, char *buf, size_t size)
{
    const struct sim_options *o = c->fleet->opts;
    if (o->id && o->count == 1)
        snprintf(buf, size, "%s", o->id);
    else
        snprintf(buf, size, "%s%0*u", o->id_prefix, (int)o->id_width, o->id_start + c->index);
}

static void min_due(uint64_t *best, uint64_t t)
{
    if (t && (*best == 0 || t < *best))
        *best = t;
}

void sim_charger_schedule(struct sim_charger *c)
{
    uint64_t due = 0;
    min_due(&due, c->due_call_ms);
    min_due(&due, c->due_retry_ms);
    min_due(&due, c->due_heartbeat_ms);
    min_due(&due, c->due_reboot_ms);
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 1; i <= n; i++) {
        const struct sim_connector *k = &c->connectors[i];
        if (k->meter_every_ms && k->meter_left)
            min_due(&due, k->next_meter_ms);
        min_due(&due, k->tx_end_ms);
    }
    if (!due) {
        if (c->armed_ms)
            evtimer_del(&c->tick);
        c->armed_ms = 0;
        return;
    }
    sim_charger_due(c, due);
}

void sim_charger_due(struct sim_charger *c, uint64_t due_ms)
{
    /* The timer only ever moves earlier: a tick that comes too soon finds
     * nothing due and sets it again, which is cheaper than moving it for
     * every call sent and answered. */
    if (c->armed_ms && c->armed_ms <= due_ms)
        return;
    uint64_t now = sim_now_ms(c->fleet);
    uint64_t wait = due_ms > now ? due_ms - now : 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
    evtimer_add(&c->tick, &tv);
    c->armed_ms = due_ms;
}

/* ---- link ---- */

static struct sim_charger *from_ws(struct sim_ws *ws)
{
    return (struct sim_charger *)((char *)ws - offsetof(struct sim_charger, ws));
}

static void schedule_reconnect(struct sim_charger *c)
{
    const struct sim_options *o = c->fleet->opts;
    uint32_t jitter = c->backoff_ms / 4 ? (c->index * 2654435761u) % (c->backoff_ms / 4) : 0;
    c->due_retry_ms = sim_now_ms(c->fleet) + c->backoff_ms + jitter;
    c->backoff_ms =
        c->backoff_ms * 2 > o->reconnect_max_ms ? o->reconnect_max_ms : c->backoff_ms * 2;
    sim_charger_schedule(c);
}

static void send_boot(struct sim_charger *c)
{
    c->boot = SIM_BOOT_SENT;
    sim_charger_send(c, SIM_MSG_BOOT, 0, NULL, NULL);
}

static void on_open(struct sim_ws *ws)
{
    struct sim_charger *c = from_ws(ws);
    struct sim_fleet *f = c->fleet;
    c->link = SIM_LINK_UP;
    c->lost = 0;
    c->backoff_ms = f->opts->reconnect_min_ms;
    f->stats.connected++;
    if (++f->stats.open_now > f->stats.open_peak)
        f->stats.open_peak = f->stats.open_now;
    if (f->observer && f->observer->link_up)
        f->observer->link_up(f->observer_arg, c);
    int rebooted = c->reboot_phase == 2;
    if (rebooted) {
        c->reboot_phase = 0;
        c->boot = SIM_BOOT_NONE;
    }
    /* Load mode boots on every connection; a scripted charger only after
     * a reset (the script sends its own boot otherwise). */
    if (f->autonomous || rebooted)
        send_boot(c);
    sim_rpc_pump(c);
}

static void on_text(struct sim_ws *ws, const char *data, size_t len)
{
    sim_rpc_on_text(from_ws(ws), data, len);
}

static void on_ended(struct sim_ws *ws, enum sim_ws_end why, const char *detail)
{
    struct sim_charger *c = from_ws(ws);
    struct sim_fleet *f = c->fleet;
    int was_up = c->link == SIM_LINK_UP;
    c->link = SIM_LINK_DOWN;
    c->due_heartbeat_ms = 0;
    char kind[48];
    if (was_up) {
        f->stats.open_now--;
        f->stats.disconnects++;
        if (why != SIM_WS_END_CLOSED_LOCALLY && !f->stopping)
            sim_stats_error(&f->stats, why == SIM_WS_END_CLOSED_BY_PEER ? "closed-by-csms"
                                       : why == SIM_WS_END_PROTOCOL     ? "websocket-protocol"
                                                                        : "connection-lost");
    } else if (why != SIM_WS_END_CLOSED_LOCALLY) {
        if (why == SIM_WS_END_HANDSHAKE_FAILED && ws->http_status && ws->http_status != 101)
            snprintf(kind, sizeof(kind), "handshake-failed:HTTP %u", ws->http_status);
        else
            snprintf(kind, sizeof(kind), "%s",
                     why == SIM_WS_END_TLS_FAILED         ? "tls-failed"
                     : why == SIM_WS_END_HANDSHAKE_FAILED ? "handshake-failed"
                                                          : "connect-failed");
        sim_stats_error(&f->stats, kind);
    }
    /* A scripted charger whose connection dies (not closed by the script,
     * not by a close frame of the CSMS) reconnects on its own, as a real
     * one does, until a connection opens or the script drops or closes. */
    if (!f->autonomous && was_up && why == SIM_WS_END_LOST)
        c->lost = 1;
    else if (why == SIM_WS_END_CLOSED_LOCALLY)
        c->lost = 0;
    sim_rpc_on_link_down(c);
    if (f->observer && f->observer->link_down)
        f->observer->link_down(f->observer_arg, c, detail);
    if (f->stopping)
        return;
    if (c->reboot_phase == 1) {
        c->reboot_phase = 2;
        c->due_retry_ms = sim_now_ms(f) + 300;
        sim_charger_schedule(c);
    } else if (f->autonomous || c->reboot_phase == 2 || c->lost) {
        schedule_reconnect(c);
    }
}

static const struct sim_ws_callbacks ws_callbacks = {on_open, on_text, on_ended};

int sim_charger_connect(struct sim_charger *c)
{
    struct sim_fleet *f = c->fleet;
    const struct sim_options *o = f->opts;
    if (c->link != SIM_LINK_DOWN)
        return 0;
    char identity[64], path[640];
    sim_charger_identity(c, identity, sizeof(identity));
    size_t plen = strlen(o->path);
    snprintf(path, sizeof(path), "%s%s%s", o->path, plen && o->path[plen - 1] == '/' ? "" : "/",
             identity);
    struct sockaddr_storage addr = f->addr;
    if (o->port_spread > 1) {
        unsigned port = (unsigned)atoi(o->port) + c->index % o->port_spread;
        if (addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
    }
    const char *password = c->password ? c->password : o->password;
    int basic = (c->security_profile == 1 || c->security_profile == 2) && password;
    char host_header[300];
    snprintf(host_header, sizeof(host_header), "%s:%s", o->host, o->port);
    struct sim_ws_request req = {
        .addr = (const struct sockaddr *)&addr,
        .addrlen = f->addrlen,
        .ssl_ctx = o->tls ? f->ssl_ctx : NULL,
        .host = o->host,
        .host_header = host_header,
        .path = path,
        .subprotocol = f->proto->subprotocol,
        .auth_user = identity,
        .auth_password = basic ? password : NULL,
        .handshake_timeout_s = 30,
    };
    f->stats.connect_attempts++;
    c->link = SIM_LINK_CONNECTING;
    if (sim_ws_connect(&c->ws, f->base, &req, &ws_callbacks) != 0) {
        c->link = SIM_LINK_DOWN;
        sim_stats_error(&f->stats, "connect-failed");
        if (f->autonomous || c->reboot_phase || c->lost)
            schedule_reconnect(c);
        return -1;
    }
    return 0;
}

void sim_charger_drop(struct sim_charger *c)
{
    c->lost = 0;
    if (c->link == SIM_LINK_DOWN)
        return;
    sim_ws_abort(&c->ws);
    /* sim_ws_abort does not report: run the same bookkeeping here */
    on_ended(&c->ws, SIM_WS_END_CLOSED_LOCALLY, "dropped");
}

void sim_charger_close(struct sim_charger *c)
{
    c->lost = 0;
    if (c->link == SIM_LINK_DOWN)
        return;
    sim_ws_close(&c->ws, 1000);
}

void sim_charger_reboot(struct sim_charger *c, bool hard)
{
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 1; i <= n; i++)
        sim_charger_tx_stop(c, (int)i, hard ? "HardReset" : "SoftReset", -1);
    c->due_reboot_ms = sim_now_ms(c->fleet) + (hard ? 200 : 800);
    sim_charger_schedule(c);
}

static void do_reboot(struct sim_charger *c)
{
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 0; i <= n; i++) {
        struct sim_connector *k = &c->connectors[i];
        k->status = k->inoperative ? SIM_ST_UNAVAILABLE : SIM_ST_AVAILABLE;
        k->reservation_id = -1;
    }
    c->boot = SIM_BOOT_NONE;
    c->due_heartbeat_ms = 0;
    if (c->link == SIM_LINK_DOWN) {
        c->reboot_phase = 2;
        c->due_retry_ms = sim_now_ms(c->fleet) + 300;
        sim_charger_schedule(c);
        return;
    }
    c->reboot_phase = 1;
    sim_ws_close(&c->ws, 1000);
}

/* ---- messages ---- */

struct sim_msg *sim_charger_send(struct sim_charger *c, enum sim_msg_kind kind, int connector,
                                 const char *text, const char *text2)
{
    struct sim_event ev = {.connector = connector,
                           .text = text,
                           .text2 = text2,
                           .reservation_id = -1,
                           .wall_ms = sim_wall_ms()};
    uint32_t tx_ref = 0;
    if (connector > 0 && (unsigned)connector <= sim_charger_connector_count(c)) {
        const struct sim_connector *k = &c->connectors[connector];
        ev.transaction_id = k->transaction_id;
        ev.meter_wh = k->meter.energy_wh;
        if (sim_rpc_is_transactional(kind))
            tx_ref = k->tx_ref;
    }
    return sim_rpc_enqueue(c, kind, &ev, tx_ref);
}

void sim_charger_set_status(struct sim_charger *c, int connector, enum sim_status st)
{
    if (connector < 0 || (unsigned)connector > sim_charger_connector_count(c))
        return;
    struct sim_connector *k = &c->connectors[connector];
    if (k->inoperative && st == SIM_ST_AVAILABLE)
        st = SIM_ST_UNAVAILABLE;
    k->status = (uint8_t)st;
    sim_charger_send(c, SIM_MSG_STATUS, connector, c->fleet->proto->status_name(st), NULL);
}

void sim_charger_send_all_status(struct sim_charger *c)
{
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 0; i <= n; i++)
        sim_charger_set_status(c, (int)i, (enum sim_status)c->connectors[i].status);
}

static struct sim_connector *connector_of(struct sim_charger *c, int connector)
{
    if (!c->connectors || connector < 1 || (unsigned)connector > sim_charger_connector_count(c))
        return NULL;
    return &c->connectors[connector];
}

int sim_charger_find_tx(const struct sim_charger *c, int32_t transaction_id)
{
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 1; i <= n; i++) {
        if (c->connectors[i].tx_ref && c->connectors[i].transaction_id == transaction_id)
            return (int)i;
    }
    return 0;
}

static void model_for(const struct sim_charger *c, struct sim_meter_model *m)
{
    *m = c->fleet->meter_model;
    if (c->profile_limit_w > 0)
        m->limit_w = c->profile_limit_w;
}

/* Brings the meter of a connector up to now. */
static void sample(struct sim_charger *c, int connector, struct sim_sample *out)
{
    struct sim_connector *k = &c->connectors[connector];
    uint64_t now = sim_now_ms(c->fleet);
    double dt = k->tx_ref && k->last_sample_ms ? (double)(now - k->last_sample_ms) / 1000.0 : 0;
    struct sim_meter_model model;
    model_for(c, &model);
    if (!k->tx_ref || k->status != SIM_ST_CHARGING)
        model.max_power_w = 0;
    sim_meter_advance(&k->meter, &model, dt, (uint32_t)(now ^ (c->index << 8) ^ connector), out);
    k->last_sample_ms = now;
}

struct sim_msg *sim_charger_tx_start(struct sim_charger *c, int connector, const char *id_tag,
                                     double meter_wh)
{
    struct sim_connector *k = connector_of(c, connector);
    if (!k || k->tx_ref || k->inoperative)
        return NULL;
    if (meter_wh >= 0)
        k->meter.energy_wh = meter_wh;
    sim_meter_plug_in(&k->meter, c->index * 31u + c->next_tx_ref * 7u + (uint32_t)connector);
    if (k->status != SIM_ST_PREPARING)
        sim_charger_set_status(c, connector, SIM_ST_PREPARING);
    k->tx_ref = ++c->next_tx_ref;
    c->fleet->sessions++;
    k->transaction_id = 0;
    snprintf(k->id_tag, sizeof(k->id_tag), "%s", id_tag);
    struct sim_event ev = {.connector = connector,
                           .text = k->id_tag,
                           .reservation_id = k->reservation_id,
                           .meter_wh = k->meter.energy_wh,
                           .wall_ms = sim_wall_ms()};
    struct sim_msg *m = sim_rpc_enqueue(c, SIM_MSG_TX_START, &ev, k->tx_ref);
    k->reservation_id = -1;
    sim_charger_set_status(c, connector, SIM_ST_CHARGING);
    k->last_sample_ms = sim_now_ms(c->fleet);
    if (c->fleet->autonomous && c->meter_interval_s) {
        const struct sim_options *o = c->fleet->opts;
        /* below a second as given on the command line, unless the CSMS
         * changed MeterValueSampleInterval */
        k->meter_every_ms = c->meter_interval_s == o->meter_interval_s
                                ? o->meter_interval_ms
                                : c->meter_interval_s * 1000u;
        k->meter_left = UINT16_MAX;
        k->next_meter_ms = k->last_sample_ms + k->meter_every_ms;
    }
    c->fleet->stats.tx_started++;
    sim_charger_schedule(c);
    return m;
}

struct sim_msg *sim_charger_tx_stop(struct sim_charger *c, int connector, const char *reason,
                                    double meter_wh)
{
    struct sim_connector *k = connector_of(c, connector);
    if (!k || !k->tx_ref)
        return NULL;
    struct sim_sample s;
    sample(c, connector, &s);
    if (meter_wh >= 0) {
        k->meter.energy_wh = meter_wh;
        s.energy_wh = meter_wh;
    }
    struct sim_event ev = {.connector = connector,
                           .text = reason,
                           .text2 = k->id_tag,
                           .transaction_id = k->transaction_id,
                           .meter_wh = k->meter.energy_wh,
                           .wall_ms = sim_wall_ms(),
                           .sample = &s};
    struct sim_msg *m = sim_rpc_enqueue(c, SIM_MSG_TX_STOP, &ev, k->tx_ref);
    k->tx_ref = 0;
    c->fleet->sessions--;
    k->transaction_id = 0;
    k->meter_every_ms = 0;
    k->meter_left = 0;
    k->tx_end_ms = 0;
    k->id_tag[0] = '\0';
    sim_charger_set_status(c, connector, SIM_ST_FINISHING);
    if (k->inoperative_scheduled) {
        k->inoperative_scheduled = 0;
        k->inoperative = 1;
    }
    sim_charger_set_status(c, connector, SIM_ST_AVAILABLE);
    c->fleet->stats.tx_stopped++;
    sim_charger_schedule(c);
    return m;
}

struct sim_msg *sim_charger_meter_now(struct sim_charger *c, int connector)
{
    struct sim_connector *k = connector_of(c, connector);
    if (!k)
        return NULL;
    struct sim_sample s;
    sample(c, connector, &s);
    struct sim_event ev = {.connector = connector,
                           .transaction_id = k->transaction_id,
                           .meter_wh = s.energy_wh,
                           .wall_ms = sim_wall_ms(),
                           .sample = &s};
    struct sim_msg *m = sim_rpc_enqueue(c, SIM_MSG_TX_METER, &ev, k->tx_ref);
    if (k->tx_ref && k->status == SIM_ST_CHARGING && s.soc >= 100.0)
        sim_charger_set_status(c, connector, SIM_ST_SUSPENDED_EV);
    return m;
}

void sim_charger_on_answer(struct sim_charger *c, struct sim_msg *m, json_t *payload)
{
    struct sim_fleet *f = c->fleet;
    struct sim_answer a = {.interval_s = -1};
    f->proto->read_answer((enum sim_msg_kind)m->kind, payload, &a);
    uint64_t now = sim_now_ms(f);
    if (m->kind == SIM_MSG_BOOT) {
        if (a.status && strcmp(a.status, "Accepted") == 0) {
            c->boot = SIM_BOOT_ACCEPTED;
            f->stats.boots_accepted++;
            if (a.interval_s > 0 && !f->opts->heartbeat_forced)
                c->hb_interval_s = (uint32_t)a.interval_s;
            if (f->autonomous && c->hb_interval_s)
                c->due_heartbeat_ms = now + c->hb_interval_s * 1000u;
            if (m->line == 0)
                sim_charger_send_all_status(c);
        } else {
            int pending = a.status && strcmp(a.status, "Pending") == 0;
            c->boot = pending ? SIM_BOOT_PENDING : SIM_BOOT_REJECTED;
            if (pending)
                f->stats.boots_pending++;
            else
                f->stats.boots_rejected++;
            if (f->autonomous || m->line == 0)
                c->due_retry_ms = now + (a.interval_s > 0 ? (uint32_t)a.interval_s : 30u) * 1000u;
        }
        sim_charger_schedule(c);
    } else if (m->kind == SIM_MSG_TX_START) {
        unsigned n = sim_charger_connector_count(c);
        for (unsigned i = 1; i <= n; i++) {
            struct sim_connector *k = &c->connectors[i];
            if (k->tx_ref != m->tx_ref)
                continue;
            k->transaction_id = a.transaction_id;
            if (f->autonomous && a.status && strcmp(a.status, "Accepted") != 0)
                sim_charger_tx_stop(c, (int)i, "DeAuthorized", -1);
        }
        sim_rpc_set_transaction_id(c, m->tx_ref, a.transaction_id);
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_charger *c = arg;
    struct sim_fleet *f = c->fleet;
    uint64_t now = sim_now_ms(f);
    c->armed_ms = 0;
    if (c->due_call_ms && now >= c->due_call_ms)
        sim_rpc_on_timeout(c);
    if (c->due_reboot_ms && now >= c->due_reboot_ms) {
        c->due_reboot_ms = 0;
        do_reboot(c);
    }
    if (c->due_retry_ms && now >= c->due_retry_ms) {
        c->due_retry_ms = 0;
        if (c->link == SIM_LINK_DOWN && (f->autonomous || c->reboot_phase == 2 || c->lost))
            sim_charger_connect(c);
        else if (c->link == SIM_LINK_UP &&
                 (c->boot == SIM_BOOT_PENDING || c->boot == SIM_BOOT_REJECTED))
            send_boot(c);
    }
    if (c->due_heartbeat_ms && now >= c->due_heartbeat_ms) {
        c->due_heartbeat_ms = 0;
        if (c->link == SIM_LINK_UP && c->boot == SIM_BOOT_ACCEPTED && c->hb_interval_s) {
            sim_charger_send(c, SIM_MSG_HEARTBEAT, 0, NULL, NULL);
            c->due_heartbeat_ms = now + c->hb_interval_s * 1000u;
        }
    }
    unsigned n = sim_charger_connector_count(c);
    for (unsigned i = 1; i <= n; i++) {
        struct sim_connector *k = &c->connectors[i];
        if (k->meter_every_ms && k->meter_left && now >= k->next_meter_ms) {
            /* In load mode a connector whose last MeterValues still waits
             * to be sent skips this sample: the queue stays as long as the
             * connectors, whatever the CSMS's pace. */
            if (f->autonomous && k->meter_unsent)
                f->stats.meter_skipped++;
            else
                sim_charger_meter_now(c, (int)i);
            if (k->meter_left != UINT16_MAX)
                k->meter_left--;
            k->next_meter_ms += k->meter_every_ms;
            if (k->next_meter_ms <= now)
                k->next_meter_ms = now + k->meter_every_ms;
        }
        if (k->tx_end_ms && now >= k->tx_end_ms) {
            k->tx_end_ms = 0;
            sim_charger_tx_stop(c, (int)i, "EVDisconnected", -1);
        }
    }
    sim_charger_schedule(c);
}
