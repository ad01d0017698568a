/* Meter and vehicle model of one connector: an energy register, and during a
 * transaction a battery whose charging power tapers as its state of charge
 * rises. */
#ifndef SIM_METER_H
#define SIM_METER_H

#include <stdint.h>

struct sim_meter {
    double energy_wh; /* Energy.Active.Import.Register, never decreases */
    float soc;        /* percent, during a transaction */
    float power_w;    /* last sampled Power.Active.Import */
};

struct sim_sample {
    double energy_wh;
    double power_w;
    double current_a;
    double voltage_v;
    double soc;
};

struct sim_meter_model {
    double max_power_w; /* what the charger can deliver */
    double battery_wh;  /* usable capacity of the simulated vehicle */
    double limit_w;     /* charging profile limit, 0 = none */
    unsigned phases;    /* 3 for AC, the current is per phase */
    double voltage_v;   /* phase voltage */
};

/* A vehicle plugs in: picks a starting state of charge from seed. */
void sim_meter_plug_in(struct sim_meter *m, uint32_t seed);
/* Advances the model by dt seconds of charging and returns the sample. */
void sim_meter_advance(struct sim_meter *m, const struct sim_meter_model *model, double dt_s,
                       uint32_t seed, struct sim_sample *out);
/* The charging power the vehicle accepts at a state of charge. */
double sim_meter_power_at(const struct sim_meter_model *model, double soc);

#endif
