/*
 * Properties of the pricing engine over generated tariffs and sessions:
 * costs are never negative, excl. VAT never exceeds incl. VAT when VAT is
 * not negative, min_price and max_price bound the totals, and splitting a
 * session's timeline into finer readings never changes any total.
 */
#include "check_run.h"
#include "engine.h"
#include "tariff_service.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

static json_t *random_restrictions(void)
{
    json_t *r = json_object();
    char buf[8];
    if (rnd(3) == 0) {
        snprintf(buf, sizeof buf, "%02u:%02u", rnd(24), rnd(4) * 15);
        json_object_set_new(r, "start_time", json_string(buf));
        snprintf(buf, sizeof buf, "%02u:%02u", rnd(24), rnd(4) * 15);
        json_object_set_new(r, "end_time", json_string(buf));
    }
    if (rnd(4) == 0)
        json_object_set_new(r, "min_power", json_integer(rnd(30)));
    if (rnd(4) == 0)
        json_object_set_new(r, "max_power", json_integer(30 + rnd(30)));
    if (rnd(4) == 0)
        json_object_set_new(r, "max_duration", json_integer(600 + rnd(7200)));
    if (rnd(4) == 0)
        json_object_set_new(r, "min_duration", json_integer(rnd(600)));
    if (rnd(5) == 0)
        json_object_set_new(r, "min_kwh", json_integer(rnd(20)));
    if (rnd(5) == 0)
        json_object_set_new(r, "max_kwh", json_integer(20 + rnd(40)));
    if (rnd(5) == 0)
        json_object_set_new(r, "day_of_week",
                            json_pack("[s, s, s]", "MONDAY", "SATURDAY", "SUNDAY"));
    return r;
}

static json_t *random_component(const char *type)
{
    static const int steps[] = {1, 60, 300, 900, 100, 500};
    return json_pack("{s:s, s:f, s:i, s:i}", "type", type, "price", rnd(20001) / 10000.0, "vat",
                     rnd(26), "step_size", steps[rnd(6)]);
}

static json_t *random_tariff(void)
{
    static const char *const types[] = {"ENERGY", "FLAT", "TIME", "PARKING_TIME"};
    json_t *elements = json_array();
    int n = 1 + (int)rnd(5);
    for (int i = 0; i < n; i++) {
        json_t *pcs = json_array();
        int used = 0;
        for (int k = 0; k < 4; k++) {
            if (rnd(2) == 0 || (k == 3 && used == 0)) {
                json_array_append_new(pcs, random_component(types[k]));
                used++;
            }
        }
        json_t *el = json_pack("{s:o}", "price_components", pcs);
        if (i + 1 < n)
            json_object_set_new(el, "restrictions", random_restrictions());
        json_array_append_new(elements, el);
    }
    json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "country_code", "NL", "party_id", "GLV",
                          "id", "p", "currency", "EUR", "last_updated", "2024-01-01T00:00:00Z",
                          "elements", elements);
    if (rnd(3) == 0)
        json_object_set_new(t, "min_price",
                            json_pack("{s:f, s:f}", "excl_vat", 1.0, "incl_vat", 1.21));
    if (rnd(3) == 0)
        json_object_set_new(t, "max_price",
                            json_pack("{s:f, s:f}", "excl_vat", 12.5, "incl_vat", 15.0));
    return t;
}

/* A session with intervals of whole minutes and an integral energy rate per
 * millisecond, so that linear interpolation is exact. */
static size_t random_session(glv_reading *out, size_t max, int64_t *end)
{
    int64_t t = 1717400000000LL + (int64_t)rnd(7 * 24 * 60) * 60000, meter = rnd(100000);
    size_t n = 2 + rnd((uint32_t)max - 2);
    bool parking = false;
    for (size_t i = 0; i < n; i++) {
        int64_t minutes = 1 + rnd(40);
        glv_session_state st = parking       ? GLV_STATE_PARKING
                               : rnd(6) == 0 ? GLV_STATE_SUSPENDED_EVSE
                                             : GLV_STATE_CHARGING;
        if (i + 2 >= n && rnd(2) == 0)
            parking = true, st = GLV_STATE_PARKING;
        int64_t rate = st == GLV_STATE_CHARGING ? rnd(16) : 0; /* mWh per ms */
        out[i] = (glv_reading){t, meter, rate * 3600000,
                               rnd(3) == 0 ? -1 : (int64_t)(16000 + rnd(48000)), st};
        t += minutes * 60000;
        meter += rate * minutes * 60000;
    }
    *end = t;
    /* the meter of the end: one more reading */
    out[n] = out[n - 1];
    out[n].t_ms = t;
    out[n].meter_mwh = meter;
    return n + 1;
}

/* The same session with each interval cut at a whole minute inside it. */
static size_t split_session(const glv_reading *in, size_t n, glv_reading *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = in[i];
        if (i + 1 < n) {
            int64_t minutes = (in[i + 1].t_ms - in[i].t_ms) / 60000;
            if (minutes >= 2) {
                int64_t cut = 1 + rnd((uint32_t)minutes - 1);
                int64_t rate = (in[i + 1].meter_mwh - in[i].meter_mwh) / (minutes * 60000);
                glv_reading mid = in[i];
                mid.t_ms = in[i].t_ms + cut * 60000;
                mid.meter_mwh = in[i].meter_mwh + rate * cut * 60000;
                out[k++] = mid;
            }
        }
    }
    return k;
}

START_TEST(generated_sessions)
{
    rng_state = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
    json_t *error = NULL;
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    char why[200];
    const glv_tz *tz =
        glv_tzdb_get(glv_tariff_instance_tzdb(inst), "Europe/Amsterdam", why, sizeof why);
    ck_assert_msg(tz != NULL, "%s", why);
    glv_price_result a = {0}, b = {0};
    for (int round = 0; round < 200; round++) {
        json_t *tj = random_tariff();
        glv_tariff t;
        int rc = glv_tariff_parse(tj, &t, &error);
        if (rc != 0) {
            char *why2 = json_dumps(error, 0), *txt = json_dumps(tj, 0);
            ck_abort_msg("generated tariff refused: %s\n%s", why2, txt);
        }
        glv_reading coarse[41], fine[82];
        int64_t end;
        size_t n = random_session(coarse, 40, &end);
        size_t m = split_session(coarse, n, fine);
        glv_timeline tl = {.tz = tz, .end_ms = end, .final = true, .count = n, .readings = coarse};
        glv_rounding rounding = {GLV_ROUND_HALF_UP, 2};
        ck_assert_int_eq(glv_timeline_check(&tl, NULL), 0);
        ck_assert_int_eq(glv_price(&t, &tl, rounding, &a, NULL), 0);
        tl.count = m;
        tl.readings = fine;
        ck_assert_int_eq(glv_price(&t, &tl, rounding, &b, NULL), 0);
        for (int k = 0; k < GLV_TOTAL_COUNT; k++) {
            const glv_amount *x = &a.totals[k], *y = &b.totals[k];
            ck_assert(x->excl >= 0);
            ck_assert(x->excl_minor >= 0);
            ck_assert(x->excl <= x->incl);
            ck_assert(x->excl_minor <= x->incl_minor);
            ck_assert_msg(x->excl == y->excl && x->incl == y->incl,
                          "round %d total %d: %lld/%lld coarse vs %lld/%lld fine", round, k,
                          (long long)x->excl_minor, (long long)x->incl_minor,
                          (long long)y->excl_minor, (long long)y->incl_minor);
        }
        const glv_amount *total = &a.totals[GLV_TOTAL_COST];
        if (t.has_min_price) {
            ck_assert_int_ge(total->excl_minor, 100);
            ck_assert_int_ge(total->incl_minor, 121);
        }
        if (t.has_max_price) {
            ck_assert_int_le(total->excl_minor, 1250);
            ck_assert_int_le(total->incl_minor, 1500);
        }
        ck_assert_int_eq(a.billed_energy_mwh, b.billed_energy_mwh);
        ck_assert_int_eq(a.total_energy_mwh, b.total_energy_mwh);
        glv_tariff_clear(&t);
        json_decref(tj);
    }
    glv_price_result_clear(&a);
    glv_price_result_clear(&b);
    glv_tariff_instance_free(inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tariff_properties");
    TCase *tc = tcase_create("generated");
    tcase_add_loop_test(tc, generated_sessions, 0, 10);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
