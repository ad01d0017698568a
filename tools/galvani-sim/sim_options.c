#include "sim_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: galvani-sim --url ws://HOST:PORT/PATH [options]\n"
    "  --url URL              CSMS endpoint (ws:// or wss://); the identity is appended\n"
    "  --count N              chargers to simulate (default 1)\n"
    "  --id-prefix P          identity prefix (default SIM-); identities are P00001...\n"
    "  --id-start N           first number (default 1)\n"
    "  --id-width N           digits of the number (default 5)\n"
    "  --id ID                explicit identity (with --count 1)\n"
    "  --password PW          Basic-auth password (security profiles 1 and 2)\n"
    "  --password-file FILE   read the password from the first line of FILE\n"
    "  --profile 0-3          OCPP security profile (default: from URL and credentials)\n"
    "  --ca FILE              CA certificates to verify the server (wss://)\n"
    "  --cert FILE --key FILE client certificate and key (profile 3)\n"
    "  --connectors N         connectors per charger (default 2)\n"
    "  --heartbeat DUR        heartbeat interval; overrides the CSMS interval when given\n"
    "  --meter-interval DUR   MeterValues interval during transactions (default 60s)\n"
    "  --max-power W          charger power in W (default 11000)\n"
    "  --battery WH           vehicle battery in Wh (default 60000)\n"
    "  --vendor V --model M   BootNotification vendor and model\n"
    "  --mode scenario|load   (default: scenario with --scenario, else load)\n"
    "  --scenario FILE        scenario script (see docs/SIMULATOR.md)\n"
    "  --duration DUR         load run length (default 60s)\n"
    "  --ramp N[/s]           new connections per second (default 500)\n"
    "  --tx-rate R            transactions started per second, fleet-wide (default 0)\n"
    "  --tx-duration DUR      mean transaction length (default 120s)\n"
    "  --authorize-rate R     extra Authorize calls per second (default 0)\n"
    "  --status-rate R        extra StatusNotification calls per second (default 0)\n"
    "  --data-rate R          DataTransfer calls per second (default 0)\n"
    "  --call-timeout DUR     answer timeout of a call (default 30s)\n"
    "  --reconnect MIN,MAX    reconnect backoff bounds (default 1s,30s)\n"
    "  --tx-retries N         resends of an unanswered transaction message (default 3)\n"
    "  --storm-at DUR         load: drop every connection at DUR and reconnect at once\n"
    "  --warmup DUR           load: latencies only of calls sent after DUR (default 0)\n"
    "  --port-spread N        spread chargers over N consecutive target ports\n"
    "  --report-json FILE     write the load report as JSON\n"
    "  -v / -q                more / less output\n"
    "Durations: 500ms, 30s, 5m, 1h (a bare number is seconds).\n";

/* Parses "500ms", "30s", "5m", "1h" or seconds into milliseconds. */
static int parse_duration_ms(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mult = 1000;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return -1;
    double ms = v * mult;
    if (ms > 4e9)
        return -1;
    *out = (unsigned)(ms + 0.5);
    return 0;
}

static int parse_seconds(const char *s, unsigned *out)
{
    unsigned ms;
    if (parse_duration_ms(s, &ms) != 0)
        return -1;
    *out = (ms + 999) / 1000;
    return 0;
}

static int parse_uint(const char *s, unsigned *out, unsigned max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || *s == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0 || (*end && strcmp(end, "/s") != 0))
        return -1;
    *out = v;
    return 0;
}

static int parse_url(struct sim_options *o, const char *url)
{
    const char *rest;
    if (strncmp(url, "ws://", 5) == 0) {
        o->tls = false;
        rest = url + 5;
    } else if (strncmp(url, "wss://", 6) == 0) {
        o->tls = true;
        rest = url + 6;
    } else {
        return -1;
    }
    const char *slash = strchr(rest, '/');
    size_t hostport = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *colon = memchr(rest, ':', hostport);
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', hostport);
        if (!close)
            return -1;
        colon = close[1] == ':' ? close + 1 : NULL;
        snprintf(o->host, sizeof(o->host), "%.*s", (int)(close - rest - 1), rest + 1);
    } else {
        size_t hlen = colon ? (size_t)(colon - rest) : hostport;
        snprintf(o->host, sizeof(o->host), "%.*s", (int)hlen, rest);
    }
    if (colon)
        snprintf(o->port, sizeof(o->port), "%.*s", (int)(rest + hostport - colon - 1), colon + 1);
    else
        snprintf(o->port, sizeof(o->port), "%s", o->tls ? "443" : "80");
    snprintf(o->path, sizeof(o->path), "%s", slash ? slash : "/");
    return o->host[0] && atoi(o->port) > 0 ? 0 : -1;
}

static char *read_password_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[256];
    char *line = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (!line)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

enum {
    O_URL = 256,
    O_COUNT,
    O_PREFIX,
    O_START,
    O_WIDTH,
    O_ID,
    O_PASSWORD,
    O_PASSWORD_FILE,
    O_PROFILE,
    O_CA,
    O_CERT,
    O_KEY,
    O_CONNECTORS,
    O_HEARTBEAT,
    O_METER,
    O_POWER,
    O_BATTERY,
    O_VENDOR,
    O_MODEL,
    O_MODE,
    O_SCENARIO,
    O_DURATION,
    O_RAMP,
    O_TX_RATE,
    O_TX_DURATION,
    O_AUTH_RATE,
    O_STATUS_RATE,
    O_DATA_RATE,
    O_CALL_TIMEOUT,
    O_RECONNECT,
    O_TX_RETRIES,
    O_SPREAD,
    O_STORM,
    O_WARMUP,
    O_REPORT,
    O_HELP
};

static const struct option long_options[] = {
    {"url", required_argument, NULL, O_URL},
    {"count", required_argument, NULL, O_COUNT},
    {"id-prefix", required_argument, NULL, O_PREFIX},
    {"id-start", required_argument, NULL, O_START},
    {"id-width", required_argument, NULL, O_WIDTH},
    {"id", required_argument, NULL, O_ID},
    {"password", required_argument, NULL, O_PASSWORD},
    {"password-file", required_argument, NULL, O_PASSWORD_FILE},
    {"profile", required_argument, NULL, O_PROFILE},
    {"ca", required_argument, NULL, O_CA},
    {"cert", required_argument, NULL, O_CERT},
    {"key", required_argument, NULL, O_KEY},
    {"connectors", required_argument, NULL, O_CONNECTORS},
    {"heartbeat", required_argument, NULL, O_HEARTBEAT},
    {"meter-interval", required_argument, NULL, O_METER},
    {"max-power", required_argument, NULL, O_POWER},
    {"battery", required_argument, NULL, O_BATTERY},
    {"vendor", required_argument, NULL, O_VENDOR},
    {"model", required_argument, NULL, O_MODEL},
    {"mode", required_argument, NULL, O_MODE},
    {"scenario", required_argument, NULL, O_SCENARIO},
    {"duration", required_argument, NULL, O_DURATION},
    {"ramp", required_argument, NULL, O_RAMP},
    {"tx-rate", required_argument, NULL, O_TX_RATE},
    {"tx-duration", required_argument, NULL, O_TX_DURATION},
    {"authorize-rate", required_argument, NULL, O_AUTH_RATE},
    {"status-rate", required_argument, NULL, O_STATUS_RATE},
    {"data-rate", required_argument, NULL, O_DATA_RATE},
    {"call-timeout", required_argument, NULL, O_CALL_TIMEOUT},
    {"reconnect", required_argument, NULL, O_RECONNECT},
    {"tx-retries", required_argument, NULL, O_TX_RETRIES},
    {"port-spread", required_argument, NULL, O_SPREAD},
    {"storm-at", required_argument, NULL, O_STORM},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"report-json", required_argument, NULL, O_REPORT},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

int sim_options_parse(struct sim_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->count = 1;
    o->id_prefix = "SIM-";
    o->id_start = 1;
    o->id_width = 5;
    o->profile = -1;
    o->connectors = 2;
    o->heartbeat_s = 60;
    o->meter_interval_s = 60;
    o->meter_interval_ms = 60000;
    o->max_power_w = 11000;
    o->battery_wh = 60000;
    o->vendor = "galvani";
    o->model = "galvani-sim";
    o->mode = (enum sim_mode) - 1;
    o->duration_s = 60;
    o->ramp_per_s = 500;
    o->tx_duration_s = 120;
    o->call_timeout_ms = 30000;
    o->reconnect_min_ms = 1000;
    o->reconnect_max_ms = 30000;
    o->tx_retries = 3;
    o->verbose = 1;
    int have_url = 0, opt;

    const char *bad = NULL;
    optind = 1;
    while (!bad && (opt = getopt_long(argc, argv, "vq", long_options, NULL)) != -1) {
        switch (opt) {
        case O_URL:
            if (parse_url(o, optarg) != 0)
                bad = "--url must be ws://HOST[:PORT]/PATH or wss://...";
            have_url = 1;
            break;
        case O_COUNT:
            if (parse_uint(optarg, &o->count, 1000000) != 0 || o->count == 0)
                bad = "--count must be a positive number";
            break;
        case O_PREFIX:
            o->id_prefix = optarg;
            break;
        case O_START:
            if (parse_uint(optarg, &o->id_start, 1000000000) != 0)
                bad = "--id-start must be a number";
            break;
        case O_WIDTH:
            if (parse_uint(optarg, &o->id_width, 12) != 0)
                bad = "--id-width must be 0..12";
            break;
        case O_ID:
            o->id = optarg;
            break;
        case O_PASSWORD:
            free(o->password);
            o->password = strdup(optarg);
            break;
        case O_PASSWORD_FILE:
            free(o->password);
            o->password = read_password_file(optarg);
            if (!o->password)
                bad = "--password-file: cannot read the file";
            break;
        case O_PROFILE: {
            unsigned p;
            if (parse_uint(optarg, &p, 3) != 0)
                bad = "--profile must be 0, 1, 2 or 3";
            o->profile = (int)p;
            break;
        }
        case O_CA:
            o->ca_file = optarg;
            break;
        case O_CERT:
            o->cert_file = optarg;
            break;
        case O_KEY:
            o->key_file = optarg;
            break;
        case O_CONNECTORS:
            if (parse_uint(optarg, &o->connectors, 16) != 0 || o->connectors == 0)
                bad = "--connectors must be 1..16";
            break;
        case O_HEARTBEAT:
            if (parse_seconds(optarg, &o->heartbeat_s) != 0)
                bad = "--heartbeat: bad duration";
            o->heartbeat_forced = true;
            break;
        case O_METER:
            if (parse_duration_ms(optarg, &o->meter_interval_ms) != 0)
                bad = "--meter-interval: bad duration";
            o->meter_interval_s = (o->meter_interval_ms + 999) / 1000;
            break;
        case O_POWER:
            o->max_power_w = atof(optarg);
            if (o->max_power_w <= 0)
                bad = "--max-power must be positive";
            break;
        case O_BATTERY:
            o->battery_wh = atof(optarg);
            if (o->battery_wh <= 0)
                bad = "--battery must be positive";
            break;
        case O_VENDOR:
            o->vendor = optarg;
            break;
        case O_MODEL:
            o->model = optarg;
            break;
        case O_MODE:
            if (strcmp(optarg, "scenario") == 0)
                o->mode = SIM_MODE_SCENARIO;
            else if (strcmp(optarg, "load") == 0)
                o->mode = SIM_MODE_LOAD;
            else
                bad = "--mode must be scenario or load";
            break;
        case O_SCENARIO:
            o->scenario_file = optarg;
            break;
        case O_DURATION:
            if (parse_seconds(optarg, &o->duration_s) != 0)
                bad = "--duration: bad duration";
            break;
        case O_RAMP: {
            double r;
            if (parse_rate(optarg, &r) != 0 || r < 1)
                bad = "--ramp must be N or N/s with N >= 1";
            o->ramp_per_s = (unsigned)r;
            break;
        }
        case O_TX_RATE:
            if (parse_rate(optarg, &o->tx_rate) != 0)
                bad = "--tx-rate must be a rate per second";
            break;
        case O_TX_DURATION:
            if (parse_seconds(optarg, &o->tx_duration_s) != 0 || o->tx_duration_s == 0)
                bad = "--tx-duration: bad duration";
            break;
        case O_AUTH_RATE:
            if (parse_rate(optarg, &o->auth_rate) != 0)
                bad = "--authorize-rate must be a rate per second";
            break;
        case O_STATUS_RATE:
            if (parse_rate(optarg, &o->status_rate) != 0)
                bad = "--status-rate must be a rate per second";
            break;
        case O_DATA_RATE:
            if (parse_rate(optarg, &o->data_rate) != 0)
                bad = "--data-rate must be a rate per second";
            break;
        case O_CALL_TIMEOUT:
            if (parse_duration_ms(optarg, &o->call_timeout_ms) != 0 || o->call_timeout_ms == 0)
                bad = "--call-timeout: bad duration";
            break;
        case O_RECONNECT: {
            char *comma = strchr(optarg, ',');
            if (!comma) {
                bad = "--reconnect must be MIN,MAX";
                break;
            }
            *comma = '\0';
            if (parse_duration_ms(optarg, &o->reconnect_min_ms) != 0 ||
                parse_duration_ms(comma + 1, &o->reconnect_max_ms) != 0 ||
                o->reconnect_min_ms == 0 || o->reconnect_max_ms < o->reconnect_min_ms)
                bad = "--reconnect must be MIN,MAX durations with 0 < MIN <= MAX";
            break;
        }
        case O_TX_RETRIES:
            if (parse_uint(optarg, &o->tx_retries, 100) != 0)
                bad = "--tx-retries must be 0..100";
            break;
        case O_STORM:
            if (parse_seconds(optarg, &o->storm_at_s) != 0 || o->storm_at_s == 0)
                bad = "--storm-at: bad duration";
            break;
        case O_WARMUP:
            if (parse_duration_ms(optarg, &o->warmup_ms) != 0)
                bad = "--warmup: bad duration";
            break;
        case O_SPREAD:
            if (parse_uint(optarg, &o->port_spread, 1000) != 0)
                bad = "--port-spread must be 0..1000";
            break;
        case O_REPORT:
            o->report_json = optarg;
            break;
        case 'v':
            o->verbose++;
            break;
        case 'q':
            o->verbose = 0;
            break;
        case O_HELP:
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (!bad && optind < argc)
        bad = "unexpected argument";
    if (!bad && !have_url)
        bad = "--url is required";
    if (!bad && o->id && o->count != 1)
        bad = "--id needs --count 1";
    if (!bad && (o->cert_file != NULL) != (o->key_file != NULL))
        bad = "--cert and --key go together";
    if (!bad && (int)o->mode == -1)
        o->mode = o->scenario_file ? SIM_MODE_SCENARIO : SIM_MODE_LOAD;
    if (!bad && o->mode == SIM_MODE_SCENARIO && !o->scenario_file)
        bad = "--mode scenario needs --scenario FILE";
    if (!bad && o->profile < 0)
        o->profile = o->cert_file ? 3 : o->password ? (o->tls ? 2 : 1) : 0;
    if (!bad && o->profile >= 2 && !o->tls)
        bad = "security profiles 2 and 3 need a wss:// URL";
    if (!bad && o->profile == 3 && !o->cert_file)
        bad = "security profile 3 needs --cert and --key";
    if (!bad && (o->profile == 1 || o->profile == 2) && !o->password)
        bad = "security profiles 1 and 2 need --password or --password-file";
    if (bad) {
        fprintf(stderr, "galvani-sim: %s\n", bad);
        return -1;
    }
    return 0;
}
