/*
 * galvani core — private. The metrics registry behind /metrics.
 */
#ifndef GLV_METRICS_INTERNAL_H
#define GLV_METRICS_INTERNAL_H

#include "core-internal.h"

struct evbuffer;

glv_metrics *glv_metrics_new(void);
void glv_metrics_free(glv_metrics *m);
/* Finds or creates a metric (same rules as host->metric). NULL when the name
 * is invalid or already registered with another type. */
glv_metric *glv_metrics_get(glv_metrics *m, const char *name, glv_metric_type type,
                            const char *help, const char *labels);
void glv_metric_add(glv_metric *metric, double value);
void glv_metric_set(glv_metric *metric, double value);
void glv_metric_observe(glv_metric *metric, double seconds);
double glv_metric_value(const glv_metric *metric); /* counter/gauge value, histogram count */
/* Appends the Prometheus text exposition format (version 0.0.4). */
void glv_metrics_render(glv_metrics *m, struct evbuffer *out);

#endif
