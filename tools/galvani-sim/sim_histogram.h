/* Log-bucket latency histogram (HDR style): constant memory, bounded
 * relative error, percentiles without keeping the samples. */
#ifndef SIM_HISTOGRAM_H
#define SIM_HISTOGRAM_H

#include <stdint.h>

/* Values are microseconds. Each power of two is split into 32 sub-buckets,
 * so a reported percentile is within about 3% of the true value. */
#define SIM_HIST_SUB_BITS 5
#define SIM_HIST_SUB (1u << SIM_HIST_SUB_BITS)
#define SIM_HIST_MAGNITUDES 40
#define SIM_HIST_BUCKETS (SIM_HIST_MAGNITUDES * SIM_HIST_SUB)

struct sim_histogram {
    uint64_t count;
    uint64_t max;
    uint64_t min;
    uint64_t sum;
    uint32_t buckets[SIM_HIST_BUCKETS];
};

void sim_histogram_init(struct sim_histogram *h);
void sim_histogram_record(struct sim_histogram *h, uint64_t value);
/* The value at percentile p (0..100); 0 when empty. */
uint64_t sim_histogram_percentile(const struct sim_histogram *h, double p);

#endif
