/* Command-line options of galvani-sim. */
#ifndef SIM_OPTIONS_H
#define SIM_OPTIONS_H

#include <stdbool.h>

enum sim_mode { SIM_MODE_SCENARIO, SIM_MODE_LOAD };

struct sim_options {
    /* target */
    char host[256];
    char port[8];
    char path[512];
    bool tls;
    unsigned port_spread;
    /* identities and credentials */
    unsigned count;
    const char *id_prefix;
    unsigned id_start;
    unsigned id_width;
    const char *id;
    char *password;
    int profile;
    const char *ca_file;
    const char *cert_file;
    const char *key_file;
    /* charger model */
    unsigned connectors;
    unsigned heartbeat_s;
    bool heartbeat_forced;
    unsigned meter_interval_s;
    unsigned meter_interval_ms; /* as given; below 1 s in load mode */
    double max_power_w;
    double battery_wh;
    const char *vendor;
    const char *model;
    /* run */
    enum sim_mode mode;
    const char *scenario_file;
    unsigned duration_s;
    unsigned ramp_per_s;
    double tx_rate;
    unsigned tx_duration_s;
    double auth_rate;
    double status_rate;
    double data_rate;
    unsigned call_timeout_ms;
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
    unsigned tx_retries;
    unsigned storm_at_s; /* load: every charger drops and reconnects at once */
    unsigned warmup_ms;  /* load: calls sent before this get no latency sample */
    const char *report_json;
    int verbose;
};

/* Parses argv into opts (defaults first). Returns 0, or prints the problem
 * to stderr and returns -1. Returns 1 when --help was printed. */
int sim_options_parse(struct sim_options *opts, int argc, char **argv);

#endif
