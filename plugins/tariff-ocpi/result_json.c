/* galvani tariff-ocpi — a price result in OCPI 2.2.1's CDR shape. */
#include "datetime.h"
#include "engine.h"

#include <jansson.h>
#include <math.h>

static json_t *amount_json(const glv_amount *a, int digits)
{
    double scale = 1.0;
    for (int i = 0; i < digits; i++)
        scale *= 10.0;
    /* Presentation only: the exact minor units are also given, and a
     * 15-digit dump (JSON_REAL_PRECISION(15)) prints the decimal exactly. */
    return json_pack("{s:f, s:f, s:I, s:I}", "excl_vat", (double)a->excl_minor / scale, "incl_vat",
                     (double)a->incl_minor / scale, "excl_vat_minor", (json_int_t)a->excl_minor,
                     "incl_vat_minor", (json_int_t)a->incl_minor);
}

static json_t *kwh(int64_t mwh)
{
    return json_real((double)mwh / 1e6);
}

static json_t *hours(int64_t ms)
{
    /* four decimals of an hour would lose up to 0.18 s; keep six. */
    return json_real(round((double)ms / 3.6) / 1e6);
}

static json_t *time_text(int64_t ms)
{
    char buf[40];
    glv_datetime_format(ms, buf, sizeof buf);
    return json_string(buf);
}

static void add_dim(json_t *dims, const char *type, json_t *volume)
{
    json_array_append_new(dims, json_pack("{s:s, s:o}", "type", type, "volume", volume));
}

json_t *glv_price_result_json(const glv_price_result *r, const glv_tariff *t)
{
    int digits = r->rounding.digits;
    json_t *periods = json_array();
    for (size_t i = 0; i < r->nperiods; i++) {
        const glv_period *p = &r->periods[i];
        json_t *dims = json_array();
        if (p->state == GLV_STATE_RESERVED) {
            add_dim(dims, "RESERVATION_TIME", hours(p->reservation_ms));
        } else {
            add_dim(dims, "ENERGY", kwh(p->energy_mwh));
            if (p->time_ms > 0)
                add_dim(dims, "TIME", hours(p->time_ms));
            if (p->parking_ms > 0)
                add_dim(dims, "PARKING_TIME", hours(p->parking_ms));
            if (p->max_power_mw >= 0) {
                add_dim(dims, "MIN_POWER", json_real((double)p->min_power_mw / 1e6));
                add_dim(dims, "MAX_POWER", json_real((double)p->max_power_mw / 1e6));
            }
            if (p->max_current_ma >= 0) {
                add_dim(dims, "MIN_CURRENT", json_real((double)p->min_current_ma / 1e3));
                add_dim(dims, "MAX_CURRENT", json_real((double)p->max_current_ma / 1e3));
            }
        }
        json_t *elements = json_object();
        for (int d = 0; d < GLV_DIM_COUNT; d++) {
            if (p->elem[d] >= 0)
                json_object_set_new(elements, glv_dimension_name((glv_dimension)d),
                                    json_integer(p->elem[d]));
        }
        if (i == 0 && r->flat_elem >= 0 && p->state != GLV_STATE_RESERVED)
            json_object_set_new(elements, "FLAT", json_integer(r->flat_elem));
        json_array_append_new(periods,
                              json_pack("{s:o, s:o, s:s, s:o, s:o}", "start_date_time",
                                        time_text(p->start_ms), "dimensions", dims, "tariff_id",
                                        t->id, "tariff_elements", elements, "billed",
                                        json_pack("{s:o, s:o}", "energy", kwh(p->billed_energy_mwh),
                                                  "time", hours(p->billed_time_ms))));
    }
    json_t *out = json_pack(
        "{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "currency", t->currency, "tariff_id", t->id, "final", r->final, "start_date_time",
        time_text(r->start_ms), "end_date_time", time_text(r->end_ms), "charging_periods", periods,
        "total_cost", amount_json(&r->totals[GLV_TOTAL_COST], digits), "total_fixed_cost",
        amount_json(&r->totals[GLV_TOTAL_FIXED], digits), "total_energy", kwh(r->total_energy_mwh),
        "total_energy_cost", amount_json(&r->totals[GLV_TOTAL_ENERGY], digits), "total_time",
        hours(r->total_time_ms), "total_time_cost", amount_json(&r->totals[GLV_TOTAL_TIME], digits),
        "total_parking_time", hours(r->total_parking_ms), "total_parking_cost",
        amount_json(&r->totals[GLV_TOTAL_PARKING], digits), "total_reservation_cost",
        amount_json(&r->totals[GLV_TOTAL_RESERVATION], digits), "billed",
        json_pack("{s:o, s:o, s:o, s:o}", "energy", kwh(r->billed_energy_mwh), "time",
                  hours(r->billed_time_ms), "parking_time", hours(r->billed_parking_ms),
                  "reservation_time", hours(r->billed_reservation_ms)));
    json_object_set_new(out, "rounding",
                        json_pack("{s:s, s:i}", "mode", glv_rounding_mode_name(r->rounding.mode),
                                  "digits", digits));
    json_object_set_new(out, "min_price_applied", json_boolean(r->min_price_applied));
    json_object_set_new(out, "max_price_applied", json_boolean(r->max_price_applied));
    return out;
}
