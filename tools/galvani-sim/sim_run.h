/* The two ways to run the fleet: a scripted scenario for one charger, and
 * the load generator. Both return the process exit code. */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include "sim_charger.h"

int sim_scenario_run(struct sim_fleet *f, const char *path);
int sim_load_run(struct sim_fleet *f);
/* Resident set size of this process in kB, -1 if unknown. */
long sim_rss_kb(void);

#endif
