/* galvani-sim: simulates OCPP chargers against a CSMS, for scripted tests
 * and as a load generator. */
#include "sim_charger.h"
#include "sim_options.h"
#include "sim_protocol.h"
#include "sim_run.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

long sim_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[128];
    long kb = -1;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    }
    fclose(f);
    return kb;
}

/* Every charger needs a socket: raise the descriptor limit as far as the
 * hard limit allows. */
static void raise_fd_limit(unsigned chargers)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)chargers + 64;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want)
        fprintf(stderr,
                "galvani-sim: warning: descriptor limit %llu is below the %u chargers needed\n",
                (unsigned long long)rl.rlim_cur, chargers);
}

static int resolve(struct sim_fleet *f, const struct sim_options *o)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(stderr, "galvani-sim: cannot resolve %s:%s: %s\n", o->host, o->port,
                gai_strerror(rc));
        return -1;
    }
    memcpy(&f->addr, res->ai_addr, res->ai_addrlen);
    f->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int main(int argc, char **argv)
{
    struct sim_options opts;
    int rc = sim_options_parse(&opts, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(opts.count);

    struct sim_fleet fleet;
    memset(&fleet, 0, sizeof(fleet));
    fleet.opts = &opts;
    fleet.proto = &sim_ocpp16_protocol;
    fleet.count = opts.count;
    fleet.autonomous = opts.mode == SIM_MODE_LOAD;
    fleet.meter_model.max_power_w = opts.max_power_w;
    fleet.meter_model.battery_wh = opts.battery_wh;
    fleet.meter_model.phases = 3;
    fleet.meter_model.voltage_v = 230;
    fleet.t0_us = mono_us() - 1000;
    if (sim_stats_init(&fleet.stats) != 0 || resolve(&fleet, &opts) != 0)
        return 2;
    if (opts.tls) {
        fleet.ssl_ctx = sim_ws_tls_context(opts.ca_file, opts.cert_file, opts.key_file);
        if (!fleet.ssl_ctx)
            return 2;
    }
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    fleet.base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!fleet.base) {
        fprintf(stderr, "galvani-sim: cannot create the event loop\n");
        return 2;
    }
    if (opts.mode == SIM_MODE_SCENARIO && opts.count != 1) {
        fprintf(stderr, "galvani-sim: a scenario drives one charger (--count 1)\n");
        return 2;
    }
    rc = opts.mode == SIM_MODE_SCENARIO ? sim_scenario_run(&fleet, opts.scenario_file)
                                        : sim_load_run(&fleet);
    if (fleet.chargers) {
        for (unsigned i = 0; i < fleet.count; i++)
            sim_charger_free(&fleet.chargers[i]);
        free(fleet.chargers);
    }
    event_base_free(fleet.base);
    if (fleet.ssl_ctx)
        SSL_CTX_free(fleet.ssl_ctx);
    sim_stats_free(&fleet.stats);
    free(opts.password);
    return rc;
}
