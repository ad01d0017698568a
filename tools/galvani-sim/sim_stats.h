/* Counters and latency histograms of a run, and their text/JSON report. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include "sim_histogram.h"

#include <stdint.h>
#include <stdio.h>

#define SIM_STATS_ACTIONS 40
#define SIM_STATS_ERROR_KINDS 32

struct sim_action_stats {
    char name[40];
    uint64_t sent;
    uint64_t answered;
    uint64_t call_errors;
    uint64_t received; /* CSMS-initiated calls of this action */
    struct sim_histogram latency;
};

struct sim_stats {
    uint64_t connect_attempts;
    uint64_t connected;
    uint64_t open_now;
    uint64_t open_peak;
    uint64_t disconnects;
    uint64_t boots_accepted;
    uint64_t boots_pending;
    uint64_t boots_rejected;
    uint64_t tx_started;
    uint64_t tx_stopped;
    uint64_t resends;
    uint64_t meter_skipped; /* load mode: samples not taken, the last one still unsent */
    unsigned n_actions;
    unsigned n_errors;
    struct sim_action_stats *actions; /* SIM_STATS_ACTIONS entries */
    struct {
        char kind[48];
        uint64_t count;
    } errors[SIM_STATS_ERROR_KINDS];
};

int sim_stats_init(struct sim_stats *s);
void sim_stats_free(struct sim_stats *s);
/* The entry for an action, created on first use (the last entry collects
 * overflow). */
struct sim_action_stats *sim_stats_action(struct sim_stats *s, const char *action);
/* Counts one error of a kind such as "connect-failed" or
 * "CallError:NotImplemented". */
void sim_stats_error(struct sim_stats *s, const char *kind);
uint64_t sim_stats_error_total(const struct sim_stats *s);

struct sim_report_info {
    const char *mode;
    unsigned chargers;
    double elapsed_s;
    double ramp_s;         /* time until every charger had connected once, 0 if never */
    long rss_kb;           /* at the end of the run */
    long rss_base_kb;      /* before the chargers existed */
    double storm_s;        /* reconnect storm: all booted again after; 0 none, -1 never */
    double latency_from_s; /* latencies only of calls sent after this */
};

void sim_stats_print(FILE *out, const struct sim_stats *s, const struct sim_report_info *info);
int sim_stats_write_json(const char *path, const struct sim_stats *s,
                         const struct sim_report_info *info);

#endif
