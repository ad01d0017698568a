#include "sim_histogram.h"

#include <string.h>

void sim_histogram_init(struct sim_histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < SIM_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - SIM_HIST_SUB_BITS;
    unsigned magnitude = shift + 1;
    unsigned sub = (unsigned)(v >> shift) - SIM_HIST_SUB;
    unsigned idx = magnitude * SIM_HIST_SUB + sub;
    return idx < SIM_HIST_BUCKETS ? idx : SIM_HIST_BUCKETS - 1;
}

/* The highest value that falls in a bucket. */
static uint64_t bucket_top(unsigned idx)
{
    unsigned magnitude = idx / SIM_HIST_SUB;
    unsigned sub = idx % SIM_HIST_SUB;
    if (magnitude == 0)
        return sub;
    unsigned shift = magnitude - 1;
    return (((uint64_t)(SIM_HIST_SUB + sub + 1)) << shift) - 1;
}

void sim_histogram_record(struct sim_histogram *h, uint64_t value)
{
    h->buckets[bucket_of(value)]++;
    h->count++;
    h->sum += value;
    if (value > h->max)
        h->max = value;
    if (value < h->min)
        h->min = value;
}

uint64_t sim_histogram_percentile(const struct sim_histogram *h, double p)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count + 0.5);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < SIM_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return top > h->max ? h->max : top;
        }
    }
    return h->max;
}
