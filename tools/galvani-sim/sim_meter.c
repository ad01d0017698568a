#include "sim_meter.h"

static double noise(uint32_t seed)
{
    /* +-1.5 % deterministic jitter */
    uint32_t x = seed * 2654435761u;
    x ^= x >> 15;
    return ((double)(x % 3001u) - 1500.0) / 100000.0;
}

void sim_meter_plug_in(struct sim_meter *m, uint32_t seed)
{
    m->soc = (float)(15 + (seed * 2654435761u >> 8) % 45);
    m->power_w = 0;
}

double sim_meter_power_at(const struct sim_meter_model *model, double soc)
{
    double p = model->max_power_w;
    if (model->limit_w > 0 && model->limit_w < p)
        p = model->limit_w;
    if (soc >= 100.0)
        return 0;
    /* constant power up to 80 %, then a linear taper to a trickle at 100 % */
    if (soc > 80.0)
        p *= 1.0 - 0.9 * (soc - 80.0) / 20.0;
    return p;
}

void sim_meter_advance(struct sim_meter *m, const struct sim_meter_model *model, double dt_s,
                       uint32_t seed, struct sim_sample *out)
{
    double p = sim_meter_power_at(model, m->soc);
    if (p > 0)
        p *= 1.0 + noise(seed);
    if (dt_s < 0)
        dt_s = 0;
    double wh = p * dt_s / 3600.0;
    m->energy_wh += wh;
    if (model->battery_wh > 0) {
        m->soc += (float)(100.0 * wh / model->battery_wh);
        if (m->soc > 100.0f)
            m->soc = 100.0f;
    }
    m->power_w = (float)p;
    double v = model->voltage_v * (1.0 + noise(seed ^ 0x5bd1e995u) / 3.0);
    out->energy_wh = m->energy_wh;
    out->power_w = p;
    out->voltage_v = v;
    out->current_a = p > 0 ? p / (v * (model->phases ? model->phases : 1)) : 0;
    out->soc = m->soc;
}
