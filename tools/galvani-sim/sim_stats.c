#include "sim_stats.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int sim_stats_init(struct sim_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->actions = calloc(SIM_STATS_ACTIONS, sizeof(*s->actions));
    return s->actions ? 0 : -1;
}

void sim_stats_free(struct sim_stats *s)
{
    free(s->actions);
    s->actions = NULL;
}

struct sim_action_stats *sim_stats_action(struct sim_stats *s, const char *action)
{
    for (unsigned i = 0; i < s->n_actions; i++) {
        if (strcmp(s->actions[i].name, action) == 0)
            return &s->actions[i];
    }
    if (s->n_actions == SIM_STATS_ACTIONS)
        return &s->actions[SIM_STATS_ACTIONS - 1];
    struct sim_action_stats *a = &s->actions[s->n_actions++];
    snprintf(a->name, sizeof(a->name), "%s",
             s->n_actions == SIM_STATS_ACTIONS ? "(other)" : action);
    sim_histogram_init(&a->latency);
    return a;
}

void sim_stats_error(struct sim_stats *s, const char *kind)
{
    for (unsigned i = 0; i < s->n_errors; i++) {
        if (strcmp(s->errors[i].kind, kind) == 0) {
            s->errors[i].count++;
            return;
        }
    }
    unsigned i = s->n_errors < SIM_STATS_ERROR_KINDS ? s->n_errors++ : SIM_STATS_ERROR_KINDS - 1;
    if (s->errors[i].count == 0)
        snprintf(s->errors[i].kind, sizeof(s->errors[i].kind), "%s",
                 i == SIM_STATS_ERROR_KINDS - 1 ? "(other)" : kind);
    s->errors[i].count++;
}

uint64_t sim_stats_error_total(const struct sim_stats *s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < s->n_errors; i++)
        n += s->errors[i].count;
    return n;
}

static const double percentiles[] = {50, 90, 99, 99.9};
static const char *percentile_names[] = {"p50", "p90", "p99", "p999"};

void sim_stats_print(FILE *out, const struct sim_stats *s, const struct sim_report_info *info)
{
    double el = info->elapsed_s > 0 ? info->elapsed_s : 1;
    fprintf(out, "galvani-sim %s report: %u chargers, %.1f s\n", info->mode, info->chargers,
            info->elapsed_s);
    fprintf(out, "  connections held: %llu (peak %llu), attempts %llu, disconnects %llu\n",
            (unsigned long long)s->open_now, (unsigned long long)s->open_peak,
            (unsigned long long)s->connect_attempts, (unsigned long long)s->disconnects);
    if (info->ramp_s > 0)
        fprintf(out, "  all chargers connected after %.1f s\n", info->ramp_s);
    if (info->storm_s > 0)
        fprintf(out, "  reconnect storm: all chargers booted again after %.2f s\n", info->storm_s);
    else if (info->storm_s < 0)
        fprintf(out, "  reconnect storm: not all chargers booted again\n");
    fprintf(out, "  boots accepted %llu, pending %llu, rejected %llu\n",
            (unsigned long long)s->boots_accepted, (unsigned long long)s->boots_pending,
            (unsigned long long)s->boots_rejected);
    fprintf(out, "  transactions started %llu, stopped %llu, resent calls %llu\n",
            (unsigned long long)s->tx_started, (unsigned long long)s->tx_stopped,
            (unsigned long long)s->resends);
    if (s->meter_skipped)
        fprintf(out, "  meter samples skipped while the last one waited to be sent: %llu\n",
                (unsigned long long)s->meter_skipped);
    if (info->rss_kb > 0)
        fprintf(out, "  memory: RSS %ld kB (%ld kB before the chargers), %.0f bytes per charger\n",
                info->rss_kb, info->rss_base_kb,
                info->chargers
                    ? (double)(info->rss_kb - info->rss_base_kb) * 1024.0 / info->chargers
                    : 0.0);
    uint64_t total = 0;
    for (unsigned i = 0; i < s->n_actions; i++)
        total += s->actions[i].answered;
    fprintf(out, "  calls answered: %llu (%.1f/s)\n", (unsigned long long)total, total / el);
    if (info->latency_from_s > 0)
        fprintf(out, "  latencies of calls sent after the first %.1f s\n", info->latency_from_s);
    fprintf(out, "  %-32s %9s %9s %8s %8s %9s %9s %9s %9s %9s\n", "action (ms)", "sent", "answered",
            "calls/s", "errors", "p50", "p90", "p99", "p999", "max");
    for (unsigned i = 0; i < s->n_actions; i++) {
        const struct sim_action_stats *a = &s->actions[i];
        if (a->sent == 0)
            continue;
        fprintf(out, "  %-32s %9llu %9llu %8.1f %8llu", a->name, (unsigned long long)a->sent,
                (unsigned long long)a->answered, a->answered / el,
                (unsigned long long)a->call_errors);
        for (unsigned p = 0; p < 4; p++)
            fprintf(out, " %9.2f", sim_histogram_percentile(&a->latency, percentiles[p]) / 1000.0);
        fprintf(out, " %9.2f\n", a->latency.max / 1000.0);
    }
    for (unsigned i = 0; i < s->n_actions; i++) {
        if (s->actions[i].received)
            fprintf(out, "  received from CSMS: %s %llu\n", s->actions[i].name,
                    (unsigned long long)s->actions[i].received);
    }
    fprintf(out, "  errors: %llu\n", (unsigned long long)sim_stats_error_total(s));
    for (unsigned i = 0; i < s->n_errors; i++)
        fprintf(out, "    %-40s %llu\n", s->errors[i].kind, (unsigned long long)s->errors[i].count);
}

int sim_stats_write_json(const char *path, const struct sim_stats *s,
                         const struct sim_report_info *info)
{
    json_t *root = json_object();
    double el = info->elapsed_s > 0 ? info->elapsed_s : 1;
    json_object_set_new(root, "mode", json_string(info->mode));
    json_object_set_new(root, "chargers", json_integer(info->chargers));
    json_object_set_new(root, "elapsed_s", json_real(info->elapsed_s));
    json_object_set_new(root, "ramp_s", json_real(info->ramp_s));
    json_object_set_new(root, "latency_after_s", json_real(info->latency_from_s));
    if (info->storm_s != 0)
        json_object_set_new(root, "storm_s", json_real(info->storm_s));
    json_object_set_new(root, "connections_held", json_integer((json_int_t)s->open_now));
    json_object_set_new(root, "connections_peak", json_integer((json_int_t)s->open_peak));
    json_object_set_new(root, "connect_attempts", json_integer((json_int_t)s->connect_attempts));
    json_object_set_new(root, "disconnects", json_integer((json_int_t)s->disconnects));
    json_object_set_new(root, "boots_accepted", json_integer((json_int_t)s->boots_accepted));
    json_object_set_new(root, "boots_pending", json_integer((json_int_t)s->boots_pending));
    json_object_set_new(root, "boots_rejected", json_integer((json_int_t)s->boots_rejected));
    json_object_set_new(root, "transactions_started", json_integer((json_int_t)s->tx_started));
    json_object_set_new(root, "transactions_stopped", json_integer((json_int_t)s->tx_stopped));
    json_object_set_new(root, "resends", json_integer((json_int_t)s->resends));
    json_object_set_new(root, "meter_values_skipped", json_integer((json_int_t)s->meter_skipped));
    if (info->rss_kb > 0) {
        json_object_set_new(root, "rss_kb", json_integer(info->rss_kb));
        json_object_set_new(root, "rss_base_kb", json_integer(info->rss_base_kb));
        json_object_set_new(
            root, "bytes_per_charger",
            json_real(info->chargers ? (info->rss_kb - info->rss_base_kb) * 1024.0 / info->chargers
                                     : 0));
    }
    json_t *actions = json_object();
    for (unsigned i = 0; i < s->n_actions; i++) {
        const struct sim_action_stats *a = &s->actions[i];
        json_t *o = json_object();
        json_object_set_new(o, "sent", json_integer((json_int_t)a->sent));
        json_object_set_new(o, "answered", json_integer((json_int_t)a->answered));
        json_object_set_new(o, "calls_per_s", json_real(a->answered / el));
        json_object_set_new(o, "call_errors", json_integer((json_int_t)a->call_errors));
        json_object_set_new(o, "received", json_integer((json_int_t)a->received));
        json_t *lat = json_object();
        for (unsigned p = 0; p < 4; p++)
            json_object_set_new(
                lat, percentile_names[p],
                json_real(sim_histogram_percentile(&a->latency, percentiles[p]) / 1000.0));
        json_object_set_new(lat, "max", json_real(a->latency.max / 1000.0));
        json_object_set_new(o, "latency_ms", lat);
        json_object_set_new(actions, a->name, o);
    }
    json_object_set_new(root, "actions", actions);
    json_t *errors = json_object();
    for (unsigned i = 0; i < s->n_errors; i++)
        json_object_set_new(errors, s->errors[i].kind,
                            json_integer((json_int_t)s->errors[i].count));
    json_object_set_new(root, "errors", errors);
    json_object_set_new(root, "errors_total", json_integer((json_int_t)sim_stats_error_total(s)));
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return rc;
}
