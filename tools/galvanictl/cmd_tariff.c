/*
 * galvanictl tariff price — re-prices an OCPI 2.2.1 CDR's charging periods
 * under an OCPI tariff, offline, and prints the computed totals beside the
 * CDR's own. Needs neither the configuration file nor the database.
 */
#include "ctl.h"

#include "engine.h"
#include "money.h"
#include "tariff_service.h"
#include "timeline.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: galvanictl tariff price --cdr CDR.json [--tariff TARIFF.json]\n"
                 "                  [--tariff-version 2.2.1|2.1.1] [--time-zone ZONE]\n"
                 "                  [--rounding HALF_UP|HALF_EVEN|HALF_DOWN|UP|DOWN] [--digits N]\n"
                 "                  [--zoneinfo DIR] [--json] [--check]\n"
                 "  Re-prices the CDR's charging periods under the tariff (default: the CDR's\n"
                 "  own tariff from its \"tariffs\" list) and prints computed and CDR totals.\n"
                 "  --time-zone   the location's IANA zone for local-time restrictions (UTC)\n"
                 "  --json        print the computed result as OCPI JSON instead of a table\n"
                 "  --check       exit 1 when a computed amount differs from the CDR's\n");
}

static void print_error(const char *what, const json_t *error)
{
    const char *field = json_string_value(json_object_get(error, "field"));
    const char *msg = json_string_value(json_object_get(error, "message"));
    fprintf(stderr, "galvanictl: %s: %s%s%s\n", what, field ? field : "", field ? ": " : "",
            msg ? msg : "invalid");
}

static json_t *load(const char *path, const char *what)
{
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL && err.line < 0)
        fprintf(stderr, "galvanictl: %s: %s\n", what, err.text);
    else if (j == NULL)
        fprintf(stderr, "galvanictl: %s %s: line %d column %d: %s\n", what, path, err.line,
                err.column, err.text);
    else if (!json_is_object(j)) {
        fprintf(stderr, "galvanictl: %s %s: not a JSON object\n", what, path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The CDR's tariff used by its first charging period, else its first. */
static json_t *tariff_from_cdr(const json_t *cdr)
{
    json_t *tariffs = json_object_get(cdr, "tariffs");
    const char *want = json_string_value(
        json_object_get(json_array_get(json_object_get(cdr, "charging_periods"), 0), "tariff_id"));
    size_t i;
    json_t *t;
    json_array_foreach(tariffs, i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        if (want != NULL && id != NULL && strcmp(id, want) == 0)
            return json_incref(t);
    }
    t = json_array_get(tariffs, 0);
    return t != NULL ? json_incref(t) : NULL;
}

typedef struct row {
    const char *label;
    const char *cdr_key; /* CDR field */
    const char *which;   /* "excl_vat", "incl_vat" or NULL for a plain number */
    int total;           /* GLV_TOTAL_* or -1 */
} row;

static int print_table(const json_t *cdr, const glv_price_result *r, const glv_tariff *t)
{
    static const row rows[] = {
        {"total_cost excl. VAT", "total_cost", "excl_vat", GLV_TOTAL_COST},
        {"total_cost incl. VAT", "total_cost", "incl_vat", GLV_TOTAL_COST},
        {"total_fixed_cost excl. VAT", "total_fixed_cost", "excl_vat", GLV_TOTAL_FIXED},
        {"total_fixed_cost incl. VAT", "total_fixed_cost", "incl_vat", GLV_TOTAL_FIXED},
        {"total_energy_cost excl. VAT", "total_energy_cost", "excl_vat", GLV_TOTAL_ENERGY},
        {"total_energy_cost incl. VAT", "total_energy_cost", "incl_vat", GLV_TOTAL_ENERGY},
        {"total_time_cost excl. VAT", "total_time_cost", "excl_vat", GLV_TOTAL_TIME},
        {"total_time_cost incl. VAT", "total_time_cost", "incl_vat", GLV_TOTAL_TIME},
        {"total_parking_cost excl. VAT", "total_parking_cost", "excl_vat", GLV_TOTAL_PARKING},
        {"total_parking_cost incl. VAT", "total_parking_cost", "incl_vat", GLV_TOTAL_PARKING},
        {"total_reservation_cost excl. VAT", "total_reservation_cost", "excl_vat",
         GLV_TOTAL_RESERVATION},
        {"total_reservation_cost incl. VAT", "total_reservation_cost", "incl_vat",
         GLV_TOTAL_RESERVATION},
    };
    int digits = r->rounding.digits, mismatches = 0;
    char a[40], b[40], d[40];
    printf("CDR %s, tariff %s, currency %s, rounding %s to %d decimals\n",
           json_string_value(json_object_get(cdr, "id")) ?: "?", t->id, t->currency,
           glv_rounding_mode_name(r->rounding.mode), digits);
    printf("%-34s %14s %14s %12s\n", "", "computed", "CDR", "difference");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const glv_amount *amt = &r->totals[rows[i].total];
        int64_t mine = strcmp(rows[i].which, "excl_vat") == 0 ? amt->excl_minor : amt->incl_minor;
        glv_decimal_format(mine, digits, a, sizeof a);
        json_t *theirs_j = json_object_get(json_object_get(cdr, rows[i].cdr_key), rows[i].which);
        int64_t theirs;
        if (theirs_j == NULL || glv_decimal_from_json(theirs_j, digits, true, &theirs) != 0) {
            if (mine == 0 && theirs_j == NULL)
                continue; /* neither side has it */
            printf("%-34s %14s %14s %12s\n", rows[i].label, a, "-", "");
            continue;
        }
        glv_decimal_format(theirs, digits, b, sizeof b);
        glv_decimal_format(mine - theirs, digits, d, sizeof d);
        printf("%-34s %14s %14s %12s%s\n", rows[i].label, a, b, d,
               mine != theirs ? "  MISMATCH" : "");
        mismatches += mine != theirs;
    }
    double q[3] = {(double)r->total_energy_mwh / 1e6, (double)r->total_time_ms / 3.6e6,
                   (double)r->total_parking_ms / 3.6e6};
    const char *qk[3] = {"total_energy", "total_time", "total_parking_time"};
    const char *ql[3] = {"total_energy (kWh)", "total_time (h)", "total_parking_time (h)"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(cdr, qk[i]);
        if (json_is_number(v))
            printf("%-34s %14.4f %14.4f %12.4f\n", ql[i], q[i], json_number_value(v),
                   q[i] - json_number_value(v));
        else
            printf("%-34s %14.4f %14s\n", ql[i], q[i], "-");
    }
    if (r->min_price_applied)
        printf("min_price applied\n");
    if (r->max_price_applied)
        printf("max_price applied\n");
    printf("%s\n", mismatches ? "amounts differ from the CDR" : "amounts match the CDR");
    return mismatches;
}

static int tariff_price(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tariff", required_argument, NULL, 't'},
        {"cdr", required_argument, NULL, 'c'},
        {"tariff-version", required_argument, NULL, 'v'},
        {"time-zone", required_argument, NULL, 'z'},
        {"rounding", required_argument, NULL, 'r'},
        {"digits", required_argument, NULL, 'd'},
        {"zoneinfo", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *tariff_path = NULL, *cdr_path = NULL, *version = NULL, *zone = NULL;
    const char *mode = NULL, *digits = NULL, *zoneinfo = "/usr/share/zoneinfo";
    bool as_json = false, check = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            tariff_path = optarg;
            break;
        case 'c':
            cdr_path = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 'z':
            zone = optarg;
            break;
        case 'r':
            mode = optarg;
            break;
        case 'd':
            digits = optarg;
            break;
        case 'i':
            zoneinfo = optarg;
            break;
        case 'j':
            as_json = true;
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (cdr_path == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    json_t *cdr = load(cdr_path, "CDR"), *tariff_json = NULL, *error = NULL;
    if (cdr == NULL)
        return 1;
    int status = 1;
    glv_tariff_instance *inst = NULL;
    glv_tariff t = {0};
    glv_timeline tl = {0};
    glv_price_result res = {0};
    tariff_json = tariff_path ? load(tariff_path, "tariff") : tariff_from_cdr(cdr);
    if (tariff_json == NULL) {
        if (tariff_path == NULL)
            fprintf(stderr, "galvanictl: the CDR lists no tariff; give --tariff\n");
        goto out;
    }
    json_t *config = json_pack("{s:s, s:{}}", "zoneinfo_dir", zoneinfo, "rounding");
    json_t *rounding = json_object_get(config, "rounding");
    if (mode != NULL)
        json_object_set_new(rounding, "mode", json_string(mode));
    if (digits != NULL) {
        char *end;
        long n = strtol(digits, &end, 10);
        if (*digits == '\0' || *end != '\0' || n < 0 || n > 6) {
            fprintf(stderr, "galvanictl: --digits must be 0 to 6\n");
            json_decref(config);
            goto out;
        }
        const char *cur = json_string_value(json_object_get(tariff_json, "currency"));
        json_object_set_new(rounding, "currencies",
                            json_pack("{s:{s:I}}", cur ? cur : "EUR", "digits", (json_int_t)n));
    }
    inst = glv_tariff_instance_new(config, &error);
    json_decref(config);
    if (inst == NULL) {
        print_error("rounding", error);
        goto out;
    }
    if (glv_tariff_read(tariff_json, version, &t, &error) != 0) {
        print_error("tariff", error);
        goto out;
    }
    const char *cdr_currency = json_string_value(json_object_get(cdr, "currency"));
    if (cdr_currency != NULL && strcmp(cdr_currency, t.currency) != 0) {
        fprintf(stderr, "galvanictl: the CDR is in %s, the tariff in %s\n", cdr_currency,
                t.currency);
        goto out;
    }
    if (zone == NULL && (t.all_restrictions & GLV_R_LOCAL_TIME))
        fprintf(stderr, "galvanictl: note: no --time-zone given; the tariff's local times "
                        "are read as UTC\n");
    char why[200];
    const glv_tz *tz =
        glv_tzdb_get(glv_tariff_instance_tzdb(inst), zone ? zone : "UTC", why, sizeof why);
    if (tz == NULL) {
        fprintf(stderr, "galvanictl: --time-zone: %s\n", why);
        goto out;
    }
    if (glv_timeline_from_cdr(cdr, tz, &tl, &error) != 0) {
        print_error("CDR", error);
        goto out;
    }
    if (glv_price(&t, &tl, glv_tariff_instance_rounding(inst, t.currency), &res, &error) != 0) {
        print_error("pricing", error);
        goto out;
    }
    if (as_json) {
        json_t *out = glv_price_result_json(&res, &t);
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        putchar('\n');
        json_decref(out);
        status = 0;
    } else {
        int mismatches = print_table(cdr, &res, &t);
        status = check && mismatches ? 1 : 0;
    }
out:
    glv_price_result_clear(&res);
    glv_timeline_clear(&tl);
    glv_tariff_clear(&t);
    glv_tariff_instance_free(inst);
    json_decref(error);
    json_decref(tariff_json);
    json_decref(cdr);
    return status;
}

int glv_ctl_tariff(int argc, char **argv, const glv_ctl_env *env)
{
    (void)env;
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "price") == 0)
        return tariff_price(argc - 1, argv + 1);
    fprintf(stderr, "galvanictl: unknown tariff command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
