/* galvani core — the metrics registry and its Prometheus text rendering. */
#include "metrics-internal.h"

#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GLV_HISTOGRAM_BUCKETS 14
static const double histogram_bounds[GLV_HISTOGRAM_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct glv_metric {
    struct glv_metric_family *family;
    char *labels; /* "" when none */
    double value; /* counter/gauge value; histogram sum */
    uint64_t count;
    uint64_t buckets[GLV_HISTOGRAM_BUCKETS];
    struct glv_metric *next;
};

struct glv_metric_family {
    char *name;
    char *help;
    glv_metric_type type;
    struct glv_metric *series;
    struct glv_metric_family *next;
};

struct glv_metrics {
    struct glv_metric_family *families;
    struct glv_metric_family **tail;
};

glv_metrics *glv_metrics_new(void)
{
    glv_metrics *m = calloc(1, sizeof(*m));
    if (m)
        m->tail = &m->families;
    return m;
}

void glv_metrics_free(glv_metrics *m)
{
    if (!m)
        return;
    struct glv_metric_family *f = m->families;
    while (f) {
        struct glv_metric_family *fn = f->next;
        struct glv_metric *s = f->series;
        while (s) {
            struct glv_metric *sn = s->next;
            free(s->labels);
            free(s);
            s = sn;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fn;
    }
    free(m);
}

static int valid_metric_name(const char *name)
{
    if (!name || !*name || !((*name >= 'a' && *name <= 'z') || *name == '_'))
        return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return 0;
    return 1;
}

glv_metric *glv_metrics_get(glv_metrics *m, const char *name, glv_metric_type type,
                            const char *help, const char *labels)
{
    if (!m || !valid_metric_name(name) || type < GLV_METRIC_COUNTER || type > GLV_METRIC_HISTOGRAM)
        return NULL;
    if (!labels)
        labels = "";
    if (strchr(labels, '{') || strchr(labels, '}') || strchr(labels, '\n'))
        return NULL;
    struct glv_metric_family *f = m->families;
    while (f && strcmp(f->name, name) != 0)
        f = f->next;
    if (f && f->type != type)
        return NULL;
    if (!f) {
        f = calloc(1, sizeof(*f));
        if (!f)
            return NULL;
        f->name = strdup(name);
        f->help = strdup(help ? help : name);
        f->type = type;
        if (!f->name || !f->help) {
            free(f->name);
            free(f->help);
            free(f);
            return NULL;
        }
        *m->tail = f;
        m->tail = &f->next;
    }
    struct glv_metric **sp = &f->series;
    for (; *sp; sp = &(*sp)->next)
        if (strcmp((*sp)->labels, labels) == 0)
            return *sp;
    struct glv_metric *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->labels = strdup(labels);
    if (!s->labels) {
        free(s);
        return NULL;
    }
    s->family = f;
    *sp = s;
    return s;
}

void glv_metric_add(glv_metric *metric, double value)
{
    if (!metric || metric->family->type == GLV_METRIC_HISTOGRAM)
        return;
    if (metric->family->type == GLV_METRIC_COUNTER && value < 0)
        return;
    metric->value += value;
}

void glv_metric_set(glv_metric *metric, double value)
{
    if (metric && metric->family->type == GLV_METRIC_GAUGE)
        metric->value = value;
}

void glv_metric_observe(glv_metric *metric, double seconds)
{
    if (!metric || metric->family->type != GLV_METRIC_HISTOGRAM || isnan(seconds))
        return;
    metric->value += seconds;
    metric->count++;
    for (int i = 0; i < GLV_HISTOGRAM_BUCKETS; i++)
        if (seconds <= histogram_bounds[i])
            metric->buckets[i]++;
}

double glv_metric_value(const glv_metric *metric)
{
    if (!metric)
        return 0;
    return metric->family->type == GLV_METRIC_HISTOGRAM ? (double)metric->count : metric->value;
}

static const char *type_name(glv_metric_type t)
{
    return t == GLV_METRIC_COUNTER ? "counter" : t == GLV_METRIC_GAUGE ? "gauge" : "histogram";
}

/* Writes name{labels[,extra]} */
static void render_series_name(struct evbuffer *out, const char *name, const char *suffix,
                               const char *labels, const char *extra)
{
    evbuffer_add_printf(out, "%s%s", name, suffix);
    if (*labels || extra) {
        evbuffer_add_printf(out, "{%s%s%s}", labels, (*labels && extra) ? "," : "",
                            extra ? extra : "");
    }
}

void glv_metrics_render(glv_metrics *m, struct evbuffer *out)
{
    for (struct glv_metric_family *f = m ? m->families : NULL; f; f = f->next) {
        evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                            type_name(f->type));
        for (struct glv_metric *s = f->series; s; s = s->next) {
            if (f->type != GLV_METRIC_HISTOGRAM) {
                render_series_name(out, f->name, "", s->labels, NULL);
                evbuffer_add_printf(out, " %.17g\n", s->value);
                continue;
            }
            char le[48];
            for (int i = 0; i < GLV_HISTOGRAM_BUCKETS; i++) {
                snprintf(le, sizeof(le), "le=\"%g\"", histogram_bounds[i]);
                render_series_name(out, f->name, "_bucket", s->labels, le);
                evbuffer_add_printf(out, " %llu\n", (unsigned long long)s->buckets[i]);
            }
            render_series_name(out, f->name, "_bucket", s->labels, "le=\"+Inf\"");
            evbuffer_add_printf(out, " %llu\n", (unsigned long long)s->count);
            render_series_name(out, f->name, "_sum", s->labels, NULL);
            evbuffer_add_printf(out, " %.17g\n", s->value);
            render_series_name(out, f->name, "_count", s->labels, NULL);
            evbuffer_add_printf(out, " %llu\n", (unsigned long long)s->count);
        }
    }
}

static glv_metric *host_metric(glv_plugin *p, const char *name, glv_metric_type type,
                               const char *help, const char *labels)
{
    glv_metric *m = glv_metrics_get(p->core->metrics, name, type, help, labels);
    if (!m)
        glv_fail(p, -22, "metric '%s' is invalid or registered with another type", name);
    return m;
}

void glv_metrics_fill_host(glv_host *h)
{
    h->metric = host_metric;
    h->metric_add = glv_metric_add;
    h->metric_set = glv_metric_set;
    h->metric_observe = glv_metric_observe;
}
