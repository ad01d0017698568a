/* Load mode: ramps the fleet up, drives the message mix, and reports
 * connections, call rates, errors and latency percentiles. */
#include "sim_protocol.h"
#include "sim_rpc.h"
#include "sim_run.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load {
    struct sim_fleet *f;
    struct event *ramp;
    struct event *mix;
    struct event *progress;
    struct event *end;
    struct event *sigint;
    struct event *sigusr1; /* latencies start again from now */
    struct event *storm;
    uint64_t storm_ms, storm_done_ms, storm_boots;
    uint64_t ramp_start_ms;
    uint64_t all_connected_ms;
    double acc_tx, acc_auth, acc_status, acc_data;
    uint64_t rng;
    unsigned ever_connected;
};

static uint32_t rnd(struct load *l)
{
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    return (uint32_t)(l->rng >> 11);
}

/* SIGUSR1: latencies only of the calls sent from now on (a steady state
 * measured once the caller sees it reached). */
static void on_latency_restart(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct load *l = arg;
    struct sim_fleet *f = l->f;
    f->latency_from_us = sim_now_us(f);
    for (unsigned i = 0; i < f->stats.n_actions; i++)
        sim_histogram_init(&f->stats.actions[i].latency);
    if (f->opts->verbose)
        fprintf(stderr, "galvani-sim: latencies from %.1f s on\n", f->latency_from_us / 1e6);
}

static void on_ramp(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    struct sim_fleet *f = l->f;
    uint64_t elapsed = sim_now_ms(f) - l->ramp_start_ms;
    uint64_t due = (uint64_t)f->opts->ramp_per_s * elapsed / 1000 + 1;
    while (f->started < f->count && f->started < due)
        sim_charger_connect(&f->chargers[f->started++]);
}

static struct sim_charger *pick_ready(struct load *l)
{
    struct sim_fleet *f = l->f;
    for (int tries = 0; tries < 8; tries++) {
        struct sim_charger *c = &f->chargers[rnd(l) % f->count];
        if (c->link == SIM_LINK_UP && c->boot == SIM_BOOT_ACCEPTED)
            return c;
    }
    return NULL;
}

static void start_transaction(struct load *l)
{
    struct sim_fleet *f = l->f;
    if (f->sessions >= f->count * f->opts->connectors)
        return; /* every connector is in a session already */
    struct sim_charger *c = pick_ready(l);
    if (!c)
        return;
    unsigned n = sim_charger_connector_count(c);
    unsigned first = rnd(l) % n;
    for (unsigned j = 0; j < n; j++) {
        int k = (int)((first + j) % n) + 1;
        struct sim_connector *conn = &c->connectors[k];
        if (conn->tx_ref || conn->inoperative)
            continue;
        char tag[21];
        snprintf(tag, sizeof(tag), "SIMTAG%06u", rnd(l) % 1000000u);
        sim_charger_send(c, SIM_MSG_AUTHORIZE, 0, tag, NULL);
        if (sim_charger_tx_start(c, k, tag, -1)) {
            double len = l->f->opts->tx_duration_s * 1000.0 * (0.5 + (rnd(l) % 1000) / 1000.0);
            conn->tx_end_ms = sim_now_ms(l->f) + (uint64_t)len;
            sim_charger_schedule(c);
        }
        return;
    }
}

/* The mix starts its transactions, authorizations and status changes every
 * 10 ms, so that a rate spreads them evenly rather than in bursts. */
#define MIX_TICK_US 10000

static unsigned take(double *acc, double rate, double dt_s)
{
    *acc += rate * dt_s;
    unsigned n = (unsigned)floor(*acc);
    *acc -= n;
    return n;
}

static void on_mix(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    const struct sim_options *o = l->f->opts;
    const double dt = MIX_TICK_US / 1e6;
    for (unsigned n = take(&l->acc_tx, o->tx_rate, dt); n > 0; n--)
        start_transaction(l);
    for (unsigned n = take(&l->acc_auth, o->auth_rate, dt); n > 0; n--) {
        struct sim_charger *c = pick_ready(l);
        char tag[21];
        snprintf(tag, sizeof(tag), "SIMTAG%06u", rnd(l) % 1000000u);
        if (c)
            sim_charger_send(c, SIM_MSG_AUTHORIZE, 0, tag, NULL);
    }
    for (unsigned n = take(&l->acc_status, o->status_rate, dt); n > 0; n--) {
        struct sim_charger *c = pick_ready(l);
        if (c) {
            int k = (int)(rnd(l) % (sim_charger_connector_count(c) + 1));
            sim_charger_set_status(c, k, (enum sim_status)c->connectors[k].status);
        }
    }
    for (unsigned n = take(&l->acc_data, o->data_rate, dt); n > 0; n--) {
        struct sim_charger *c = pick_ready(l);
        if (c)
            sim_charger_send(c, SIM_MSG_DATA_TRANSFER, 0, "galvani.sim", "load");
    }
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    struct sim_fleet *f = l->f;
    uint64_t answered = 0;
    for (unsigned i = 0; i < f->stats.n_actions; i++)
        answered += f->stats.actions[i].answered;
    if (!l->all_connected_ms && f->stats.open_now >= f->count)
        l->all_connected_ms = sim_now_ms(f);
    if (f->opts->verbose)
        fprintf(stderr, "[%7.1f] open %llu/%u, booted %llu, answered %llu, errors %llu\n",
                (sim_now_ms(f) - l->ramp_start_ms) / 1000.0, (unsigned long long)f->stats.open_now,
                f->count, (unsigned long long)f->stats.boots_accepted, (unsigned long long)answered,
                (unsigned long long)sim_stats_error_total(&f->stats));
}

static void on_check_connected(struct load *l)
{
    struct sim_fleet *f = l->f;
    if (!l->all_connected_ms && f->stats.open_now >= f->count)
        l->all_connected_ms = sim_now_ms(f);
    if (l->storm_ms && !l->storm_done_ms && f->stats.boots_accepted - l->storm_boots >= f->count)
        l->storm_done_ms = sim_now_ms(f);
}

/* The reconnect storm: every charger loses its connection at the same
 * moment and reconnects after the minimum backoff; the time until all of
 * them are booted again is reported. */
static void on_storm(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    struct sim_fleet *f = l->f;
    l->storm_ms = sim_now_ms(f);
    l->storm_boots = f->stats.boots_accepted;
    for (unsigned i = 0; i < f->count; i++)
        sim_charger_drop(&f->chargers[i]);
    if (f->opts->verbose)
        fprintf(stderr, "galvani-sim: storm: %u chargers dropped\n", f->count);
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    event_base_loopexit(l->f->base, NULL);
}

static void on_ramp_and_check(evutil_socket_t fd, short what, void *arg)
{
    struct load *l = arg;
    if (l->f->started < l->f->count)
        on_ramp(fd, what, arg);
    on_check_connected(l);
}

int sim_load_run(struct sim_fleet *f)
{
    const struct sim_options *o = f->opts;
    long rss_base = sim_rss_kb();
    f->chargers = calloc(f->count, sizeof(*f->chargers));
    if (!f->chargers) {
        fprintf(stderr, "galvani-sim: out of memory for %u chargers\n", f->count);
        return 2;
    }
    for (unsigned i = 0; i < f->count; i++) {
        sim_charger_init(&f->chargers[i], f, i);
        if (!f->chargers[i].connectors) {
            fprintf(stderr, "galvani-sim: out of memory for %u chargers\n", f->count);
            return 2;
        }
    }
    struct load l = {.f = f, .rng = 0x2545F4914F6CDD1Dull};
    l.ramp_start_ms = sim_now_ms(f);
    struct timeval ramp_tv = {0, 10000}, mix_tv = {0, MIX_TICK_US}, progress_tv = {5, 0};
    struct timeval end_tv = {(time_t)o->duration_s, 0};
    l.ramp = event_new(f->base, -1, EV_PERSIST, on_ramp_and_check, &l);
    l.mix = event_new(f->base, -1, EV_PERSIST, on_mix, &l);
    l.progress = event_new(f->base, -1, EV_PERSIST, on_progress, &l);
    l.end = evtimer_new(f->base, on_end, &l);
    l.sigint = evsignal_new(f->base, SIGINT, on_end, &l);
    l.sigusr1 = evsignal_new(f->base, SIGUSR1, on_latency_restart, &l);
    f->latency_from_us = (uint64_t)o->warmup_ms * 1000u;
    event_add(l.ramp, &ramp_tv);
    event_add(l.mix, &mix_tv);
    event_add(l.progress, &progress_tv);
    event_add(l.end, &end_tv);
    event_add(l.sigint, NULL);
    event_add(l.sigusr1, NULL);
    if (o->storm_at_s) {
        struct timeval storm_tv = {(time_t)o->storm_at_s, 0};
        l.storm = evtimer_new(f->base, on_storm, &l);
        event_add(l.storm, &storm_tv);
    }
    if (o->verbose)
        fprintf(stderr, "galvani-sim: load: %u chargers (%s), ramp %u/s, %u s\n", f->count,
                f->proto->name, o->ramp_per_s, o->duration_s);
    event_base_dispatch(f->base);

    double elapsed = (sim_now_ms(f) - l.ramp_start_ms) / 1000.0;
    struct sim_report_info info = {
        .mode = "load",
        .chargers = f->count,
        .elapsed_s = elapsed,
        .ramp_s = l.all_connected_ms ? (l.all_connected_ms - l.ramp_start_ms) / 1000.0 : 0,
        .rss_kb = sim_rss_kb(),
        .rss_base_kb = rss_base,
        .latency_from_s = f->latency_from_us / 1e6,
        .storm_s = l.storm_done_ms ? (l.storm_done_ms - l.storm_ms) / 1000.0
                   : l.storm_ms    ? -1
                                   : 0,
    };
    /* Count unanswered calls before the connections go away. */
    uint64_t pending = 0;
    for (unsigned i = 0; i < f->count; i++)
        pending += f->chargers[i].in_flight;
    struct sim_stats snapshot = f->stats;
    sim_stats_print(stdout, &snapshot, &info);
    if (pending)
        printf("  calls still waiting for an answer at the end: %llu\n",
               (unsigned long long)pending);
    if (o->report_json && sim_stats_write_json(o->report_json, &snapshot, &info) != 0)
        fprintf(stderr, "galvani-sim: cannot write %s\n", o->report_json);
    int ok =
        snapshot.open_now == f->count && sim_stats_error_total(&snapshot) == 0 && info.storm_s >= 0;
    f->stopping = true;
    for (unsigned i = 0; i < f->count; i++)
        sim_charger_close(&f->chargers[i]);
    struct timeval drain = {0, 300000};
    event_base_loopexit(f->base, &drain);
    event_base_dispatch(f->base);
    event_free(l.ramp);
    event_free(l.mix);
    event_free(l.progress);
    event_free(l.end);
    event_free(l.sigint);
    event_free(l.sigusr1);
    if (l.storm)
        event_free(l.storm);
    return ok ? 0 : 1;
}
