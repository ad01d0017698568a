/* galvani tariff-ocpi — the pricing engine. */
#include "engine.h"

#include "datetime.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

typedef struct eval {
    int64_t day;      /* local day number */
    int32_t weekday;  /* 1 = Monday */
    int64_t sod_ms;   /* local milliseconds of the day */
    int64_t duration; /* since the session (or reservation) started */
    int64_t energy;   /* mWh since the session started */
    int64_t power_mw;
    int64_t current_ma;
} eval;

typedef struct ctx {
    const glv_tariff *t;
    const glv_timeline *tl;
    int64_t session_start, reservation_start;
    int64_t meter0;
    int64_t tz_from, tz_next; /* the cached offset holds on [tz_from, tz_next) */
    int32_t tz_off;
} ctx;

static bool matches(const glv_restrictions *r, const eval *e)
{
    uint32_t has = r->has;
    if (has == 0)
        return true;
    if (has & (GLV_R_START_TIME | GLV_R_END_TIME)) {
        int64_t s = e->sod_ms, lo = (int64_t)r->start_time * 1000, hi = (int64_t)r->end_time * 1000;
        bool ok;
        if ((has & GLV_R_START_TIME) && (has & GLV_R_END_TIME)) {
            if (lo < hi)
                ok = s >= lo && s < hi;
            else if (lo > hi)
                ok = s >= lo || s < hi; /* wraps past midnight */
            else
                ok = true;
        } else if (has & GLV_R_START_TIME) {
            ok = s >= lo;
        } else {
            ok = s < hi;
        }
        if (!ok)
            return false;
    }
    if ((has & GLV_R_START_DATE) && e->day < r->start_date)
        return false;
    if ((has & GLV_R_END_DATE) && e->day >= r->end_date)
        return false;
    if ((has & GLV_R_MIN_KWH) && e->energy < r->min_mwh)
        return false;
    if ((has & GLV_R_MAX_KWH) && e->energy >= r->max_mwh)
        return false;
    /* An unmeasured current satisfies no current restriction. */
    if ((has & GLV_R_MIN_CURRENT) && (e->current_ma < 0 || e->current_ma < r->min_ma))
        return false;
    if ((has & GLV_R_MAX_CURRENT) && (e->current_ma < 0 || e->current_ma >= r->max_ma))
        return false;
    if ((has & GLV_R_MIN_POWER) && e->power_mw < r->min_mw)
        return false;
    if ((has & GLV_R_MAX_POWER) && e->power_mw >= r->max_mw)
        return false;
    if ((has & GLV_R_MIN_DURATION) && e->duration < r->min_ms)
        return false;
    if ((has & GLV_R_MAX_DURATION) && e->duration >= r->max_ms)
        return false;
    if ((has & GLV_R_DAY_OF_WEEK) && !(r->days & (1u << (e->weekday - 1))))
        return false;
    return true;
}

static int16_t select_element(const ctx *c, glv_dimension d, const eval *e, bool reserved)
{
    const glv_tariff *t = c->t;
    glv_reservation_kind kinds[2] = {GLV_RESERVATION_NONE, GLV_RESERVATION_NONE};
    int nkinds = 1;
    if (reserved) {
        if (c->tl->reservation_expired) {
            kinds[0] = GLV_RESERVATION_EXPIRES;
            kinds[1] = GLV_RESERVATION;
            nkinds = 2;
        } else {
            kinds[0] = GLV_RESERVATION;
        }
    }
    for (int k = 0; k < nkinds; k++) {
        for (int i = 0; i < t->nelements; i++) {
            const glv_tariff_element *el = &t->elements[i];
            if (el->comp[d].present && el->r.reservation == kinds[k] && matches(&el->r, e))
                return (int16_t)i;
        }
    }
    return -1;
}

/* Local calendar values at ms, and the next instant (> ms) at which a local
 * time restriction may change its answer. */
static int64_t local_at(ctx *c, int64_t ms, eval *e)
{
    if (ms < c->tz_from || ms >= c->tz_next) {
        int64_t secs = glv_floor_div(ms, 1000), next;
        c->tz_off = glv_tz_offset(c->tl->tz, secs, &next);
        c->tz_from = secs * 1000;
        c->tz_next = next >= INT64_MAX / 1000 ? INT64_MAX : next * 1000;
    }
    int64_t local = ms + (int64_t)c->tz_off * 1000;
    e->day = glv_floor_div(local, DAY_MS);
    e->sod_ms = local - e->day * DAY_MS;
    e->weekday = glv_weekday_from_days(e->day);
    int64_t boundary = DAY_MS; /* next local midnight */
    const glv_tariff *t = c->t;
    for (int i = 0; i < t->nboundaries; i++) {
        if ((int64_t)t->boundaries[i] * 1000 > e->sod_ms) {
            boundary = (int64_t)t->boundaries[i] * 1000;
            break;
        }
    }
    int64_t next = ms + (boundary - e->sod_ms);
    return next < c->tz_next ? next : c->tz_next;
}

static int64_t mul_div_floor(int64_t a, int64_t b, int64_t d)
{
    return (int64_t)((glv_exact)a * b / d);
}

static int64_t mul_div_ceil(int64_t a, int64_t b, int64_t d)
{
    glv_exact n = (glv_exact)a * b;
    return (int64_t)((n + d - 1) / d);
}

static glv_period *new_period(glv_price_result *r)
{
    if (r->nperiods == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        glv_period *p = realloc(r->periods, cap * sizeof *p);
        if (p == NULL)
            return NULL;
        r->periods = p;
        r->cap = cap;
    }
    glv_period *p = &r->periods[r->nperiods++];
    memset(p, 0, sizeof *p);
    return p;
}

static glv_dimension time_dimension(glv_session_state s)
{
    return s == GLV_STATE_PARKING ? GLV_DIM_PARKING_TIME : GLV_DIM_TIME;
}

/* Adds the sub-interval [a, b) with its energy to the result. */
static int add_slice(glv_price_result *r, glv_session_state state, const int16_t elem[], int64_t a,
                     int64_t b, int64_t energy, const eval *e, int64_t current)
{
    glv_period *p = r->nperiods > 0 ? &r->periods[r->nperiods - 1] : NULL;
    if (p == NULL || p->state != state || p->end_ms != a ||
        memcmp(p->elem, elem, sizeof p->elem) != 0) {
        if ((p = new_period(r)) == NULL)
            return -ENOMEM;
        p->start_ms = a;
        p->state = state;
        memcpy(p->elem, elem, sizeof p->elem);
        p->min_power_mw = p->max_power_mw = e->power_mw;
        p->min_current_ma = p->max_current_ma = current;
    }
    p->end_ms = b;
    if (e->power_mw < p->min_power_mw)
        p->min_power_mw = e->power_mw;
    if (e->power_mw > p->max_power_mw)
        p->max_power_mw = e->power_mw;
    if (current < 0 || p->min_current_ma < 0) {
        p->min_current_ma = p->max_current_ma = -1;
    } else {
        if (current < p->min_current_ma)
            p->min_current_ma = current;
        if (current > p->max_current_ma)
            p->max_current_ma = current;
    }
    int64_t ms = b - a;
    p->energy_mwh += energy;
    if (elem[GLV_DIM_ENERGY] >= 0)
        p->billed_energy_mwh += energy;
    switch (state) {
    case GLV_STATE_CHARGING:
    case GLV_STATE_SUSPENDED_EVSE:
        p->time_ms += ms;
        break;
    case GLV_STATE_PARKING:
        p->parking_ms += ms;
        break;
    case GLV_STATE_RESERVED:
        p->reservation_ms += ms;
        break;
    }
    if (elem[time_dimension(state)] >= 0)
        p->billed_time_ms += ms;
    return 0;
}

/* Rounds the total of one step group up to the step of the last period that
 * billed it, adding the difference to that period. */
static void apply_step(glv_price_result *r, const glv_tariff *t, bool energy,
                       bool (*in_group)(const glv_period *))
{
    int64_t total = 0;
    glv_period *last = NULL;
    for (size_t i = 0; i < r->nperiods; i++) {
        glv_period *p = &r->periods[i];
        if (!in_group(p))
            continue;
        int64_t q = energy ? p->billed_energy_mwh : p->billed_time_ms;
        if (q > 0) {
            total += q;
            last = p;
        }
    }
    if (last == NULL)
        return;
    glv_dimension d = energy ? GLV_DIM_ENERGY : time_dimension(last->state);
    int64_t step = t->elements[last->elem[d]].comp[d].step * 1000; /* Wh or s to mWh or ms */
    int64_t rounded = (total + step - 1) / step * step;
    if (energy)
        last->billed_energy_mwh += rounded - total;
    else
        last->billed_time_ms += rounded - total;
}

static bool group_energy(const glv_period *p)
{
    return p->state != GLV_STATE_RESERVED && p->elem[GLV_DIM_ENERGY] >= 0;
}
static bool group_charging_time(const glv_period *p)
{
    return (p->state == GLV_STATE_CHARGING || p->state == GLV_STATE_SUSPENDED_EVSE) &&
           p->elem[GLV_DIM_TIME] >= 0;
}
static bool group_parking_time(const glv_period *p)
{
    return p->state == GLV_STATE_PARKING && p->elem[GLV_DIM_PARKING_TIME] >= 0;
}
static bool group_reservation_time(const glv_period *p)
{
    return p->state == GLV_STATE_RESERVED && p->elem[GLV_DIM_TIME] >= 0;
}

static void add_cost(glv_amount *a, const glv_price_component *pc, glv_exact excl)
{
    a->excl += excl;
    a->incl += glv_cost_with_vat(excl, pc->vat_u);
}

static glv_exact clamp_bound(const glv_price_limit *p, bool incl)
{
    return glv_exact_from_price(incl && p->incl_u >= 0 ? p->incl_u : p->excl_u);
}

void glv_price_result_clear(glv_price_result *r)
{
    free(r->periods);
    memset(r, 0, sizeof *r);
}

static int refuse(json_t **error, const char *field, const char *msg)
{
    if (error != NULL)
        *error = glv_tariff_error(field, "%s", msg);
    return -EINVAL;
}

int glv_price(const glv_tariff *t, const glv_timeline *tl, glv_rounding rounding,
              glv_price_result *r, json_t **error)
{
    if (error != NULL)
        *error = NULL;
    glv_period *keep = r->periods;
    size_t cap = r->cap;
    memset(r, 0, sizeof *r);
    r->periods = keep;
    r->cap = cap;
    r->rounding = rounding;
    r->final = tl->final;
    r->flat_elem = r->reservation_flat_elem = -1;
    if (tl->count == 0)
        return refuse(error, "readings", "the timeline has no reading");

    ctx c = {.t = t, .tl = tl, .tz_from = 1, .tz_next = 0};
    const glv_reading *rd = tl->readings;
    size_t first = 0;
    while (first < tl->count && rd[first].state == GLV_STATE_RESERVED)
        first++;
    c.reservation_start = rd[0].t_ms;
    c.session_start = first < tl->count ? rd[first].t_ms : tl->end_ms;
    c.meter0 = first < tl->count ? rd[first].meter_mwh : rd[tl->count - 1].meter_mwh;
    r->start_ms = rd[0].t_ms;
    r->end_ms = tl->end_ms;

    if (t->has_start && c.session_start < t->start_ms)
        return refuse(error, "start_date_time", "the session starts before the tariff is valid");
    if (t->has_end && c.session_start >= t->end_ms)
        return refuse(error, "end_date_time", "the session starts after the tariff expired");
    if (tl->profile != GLV_TARIFF_TYPE_NONE && t->type != GLV_TARIFF_TYPE_NONE &&
        tl->profile != t->type)
        return refuse(error, "type", "the tariff type does not apply to this session");

    const bool local = (t->all_restrictions & GLV_R_LOCAL_TIME) != 0;
    const bool by_duration = (t->all_restrictions & (GLV_R_MIN_DURATION | GLV_R_MAX_DURATION));
    const bool by_energy = (t->all_restrictions & (GLV_R_MIN_KWH | GLV_R_MAX_KWH));
    bool flat_done = false, reservation_flat_done = false;

    for (size_t i = 0; i < tl->count; i++) {
        const glv_reading *cur = &rd[i];
        int64_t t0 = cur->t_ms, t1 = i + 1 < tl->count ? rd[i + 1].t_ms : tl->end_ms;
        int64_t m0 = cur->meter_mwh, m1 = i + 1 < tl->count ? rd[i + 1].meter_mwh : m0;
        int64_t dur = t1 - t0, energy = m1 - m0;
        if (dur <= 0)
            continue;
        bool reserved = cur->state == GLV_STATE_RESERVED;
        eval e = {.current_ma = cur->current_ma};
        e.power_mw =
            cur->power_mw >= 0 ? cur->power_mw : mul_div_floor(energy, GLV_MS_PER_HOUR, dur);
        int64_t base = reserved ? c.reservation_start : c.session_start;
        int64_t a = t0, ea = m0;
        while (a < t1) {
            int64_t b = t1;
            e.duration = a - base;
            e.energy = reserved ? 0 : ea - c.meter0;
            if (local) {
                int64_t nb = local_at(&c, a, &e);
                if (nb < b)
                    b = nb;
            }
            if (by_duration || by_energy) {
                for (int k = 0; k < t->nelements; k++) {
                    const glv_restrictions *rs = &t->elements[k].r;
                    int64_t th[4] = {-1, -1, -1, -1};
                    if (rs->has & GLV_R_MIN_DURATION)
                        th[0] = base + rs->min_ms;
                    if (rs->has & GLV_R_MAX_DURATION)
                        th[1] = base + rs->max_ms;
                    for (int q = 0; q < 2; q++) {
                        if (th[q] > a && th[q] < b)
                            b = th[q];
                    }
                    if (reserved || energy <= 0)
                        continue;
                    if (rs->has & GLV_R_MIN_KWH)
                        th[2] = c.meter0 + rs->min_mwh;
                    if (rs->has & GLV_R_MAX_KWH)
                        th[3] = c.meter0 + rs->max_mwh;
                    for (int q = 2; q < 4; q++) {
                        if (th[q] <= ea || th[q] > m1)
                            continue;
                        /* first millisecond at which the interpolated meter reaches it */
                        int64_t x = t0 + mul_div_ceil(th[q] - m0, dur, energy);
                        if (x > a && x < b)
                            b = x;
                    }
                }
            }
            int64_t eb = b == t1 ? m1 : m0 + mul_div_floor(energy, b - t0, dur);
            int16_t elem[GLV_DIM_COUNT] = {-1, -1, -1, -1};
            if (reserved) {
                elem[GLV_DIM_TIME] = select_element(&c, GLV_DIM_TIME, &e, true);
                if (!reservation_flat_done) {
                    r->reservation_flat_elem = select_element(&c, GLV_DIM_FLAT, &e, true);
                    reservation_flat_done = true;
                }
            } else {
                elem[GLV_DIM_ENERGY] = select_element(&c, GLV_DIM_ENERGY, &e, false);
                glv_dimension td = time_dimension(cur->state);
                elem[td] = select_element(&c, td, &e, false);
                if (!flat_done) {
                    r->flat_elem = select_element(&c, GLV_DIM_FLAT, &e, false);
                    flat_done = true;
                }
            }
            if (add_slice(r, cur->state, elem, a, b, eb - ea, &e, cur->current_ma) != 0)
                return -ENOMEM;
            a = b;
            ea = eb;
        }
    }
    if (!flat_done && first < tl->count) {
        /* A session of zero length still owes its flat fee. */
        eval e = {.power_mw = 0, .current_ma = rd[first].current_ma};
        if (local)
            local_at(&c, c.session_start, &e);
        r->flat_elem = select_element(&c, GLV_DIM_FLAT, &e, false);
    }

    apply_step(r, t, true, group_energy);
    bool parking_billed = false;
    for (size_t i = 0; i < r->nperiods && !parking_billed; i++)
        parking_billed = group_parking_time(&r->periods[i]) && r->periods[i].billed_time_ms > 0;
    apply_step(r, t, false, parking_billed ? group_parking_time : group_charging_time);
    apply_step(r, t, false, group_reservation_time);

    for (size_t i = 0; i < r->nperiods; i++) {
        glv_period *p = &r->periods[i];
        glv_amount before = {0};
        if (p->state == GLV_STATE_RESERVED) {
            r->total_reservation_ms += p->reservation_ms;
            r->billed_reservation_ms += p->billed_time_ms;
        } else {
            r->total_energy_mwh += p->energy_mwh;
            r->total_parking_ms += p->parking_ms;
            r->billed_energy_mwh += p->billed_energy_mwh;
            if (p->state == GLV_STATE_PARKING)
                r->billed_parking_ms += p->billed_time_ms;
            else
                r->billed_time_ms += p->billed_time_ms;
        }
        if (p->elem[GLV_DIM_ENERGY] >= 0) {
            const glv_price_component *pc =
                &t->elements[p->elem[GLV_DIM_ENERGY]].comp[GLV_DIM_ENERGY];
            add_cost(&before, pc, glv_cost_energy(pc->price_u, p->billed_energy_mwh));
        }
        glv_amount energy_part = before;
        glv_dimension td = time_dimension(p->state);
        if (p->elem[td] >= 0) {
            const glv_price_component *pc = &t->elements[p->elem[td]].comp[td];
            add_cost(&before, pc, glv_cost_time(pc->price_u, p->billed_time_ms));
        }
        p->excl = before.excl;
        p->incl = before.incl;
        glv_amount *dst_time = p->state == GLV_STATE_RESERVED  ? &r->totals[GLV_TOTAL_RESERVATION]
                               : p->state == GLV_STATE_PARKING ? &r->totals[GLV_TOTAL_PARKING]
                                                               : &r->totals[GLV_TOTAL_TIME];
        r->totals[GLV_TOTAL_ENERGY].excl += energy_part.excl;
        r->totals[GLV_TOTAL_ENERGY].incl += energy_part.incl;
        dst_time->excl += before.excl - energy_part.excl;
        dst_time->incl += before.incl - energy_part.incl;
    }
    r->total_time_ms = tl->end_ms - c.session_start;
    if (r->flat_elem >= 0) {
        const glv_price_component *pc = &t->elements[r->flat_elem].comp[GLV_DIM_FLAT];
        add_cost(&r->totals[GLV_TOTAL_FIXED], pc, glv_cost_flat(pc->price_u));
    }
    if (r->reservation_flat_elem >= 0) {
        const glv_price_component *pc = &t->elements[r->reservation_flat_elem].comp[GLV_DIM_FLAT];
        add_cost(&r->totals[GLV_TOTAL_RESERVATION], pc, glv_cost_flat(pc->price_u));
    }
    glv_amount *total = &r->totals[GLV_TOTAL_COST];
    for (int k = 0; k < GLV_TOTAL_COST; k++) {
        total->excl += r->totals[k].excl;
        total->incl += r->totals[k].incl;
    }
    /* min_price and max_price bound the totals excl. and incl. VAT separately. */
    if (t->has_min_price) {
        glv_exact lo_e = clamp_bound(&t->min_price, false), lo_i = clamp_bound(&t->min_price, true);
        if (total->excl < lo_e || total->incl < lo_i)
            r->min_price_applied = true;
        if (total->excl < lo_e)
            total->excl = lo_e;
        if (total->incl < lo_i)
            total->incl = lo_i;
    }
    if (t->has_max_price) {
        glv_exact hi_e = clamp_bound(&t->max_price, false), hi_i = clamp_bound(&t->max_price, true);
        if (total->excl > hi_e || total->incl > hi_i)
            r->max_price_applied = true;
        if (total->excl > hi_e)
            total->excl = hi_e;
        if (total->incl > hi_i)
            total->incl = hi_i;
    }
    for (int k = 0; k < GLV_TOTAL_COUNT; k++) {
        r->totals[k].excl_minor = glv_exact_round(r->totals[k].excl, rounding);
        r->totals[k].incl_minor = glv_exact_round(r->totals[k].incl, rounding);
    }
    return 0;
}
