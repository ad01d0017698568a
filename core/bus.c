/* galvani core — the hooks bus: filter chains and notifications. */
#include "bus-internal.h"
#include "log-internal.h"
#include "metrics-internal.h"
#include "strmap-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sub {
    int64_t id;
    glv_plugin *plugin;
    int priority;
    uint32_t data_version;
    glv_filter_fn filter;     /* filter subscriptions */
    glv_listener_fn listener; /* notification subscriptions */
    void *arg;
    bool removed;
    struct sub *next;
};

struct bus_event {
    char *name;
    glv_event_kind kind; /* 0 until declared */
    uint32_t version;    /* lowest version declared by an emitter */
    struct sub *subs;    /* sorted: priority, plugin name, id */
    unsigned busy;       /* running dispatches and chains; no unlinking while > 0 */
    bool has_removed;
    glv_metric *latency;
};

struct glv_filter_call {
    struct chain *chain;
};

struct chain {
    glv_bus *bus;
    struct bus_event *ev;
    json_t *payload;
    glv_filter_done_fn done;
    void *done_arg;
    uint32_t timeout_ms;
    struct sub *cur;
    struct glv_filter_call call;
    struct event *deadline;
    struct timespec step_start;
    bool in_filter;    /* the current filter is running right now */
    bool waiting;      /* the current filter returned PENDING */
    bool early_answer; /* filter_resume came before the filter returned */
    glv_verdict early_verdict;
    bool finished; /* done has been called */
    json_t *reason;
    struct chain *prev, *next; /* chains kept for a late answer */
};

struct queued_note {
    struct bus_event *ev;
    json_t *payload;
    struct queued_note *next;
};

struct glv_bus {
    glv_core *core;
    glv_strmap *events;
    int64_t next_id;
    struct queued_note *queue_head, *queue_tail;
    struct event *dispatch;
    struct chain *orphans; /* timed out, waiting for filter_resume */
    glv_metric *notifications;
    glv_metric *timeouts;
};

static void dispatch_queued(evutil_socket_t fd, short what, void *arg);

glv_bus *glv_bus_new(glv_core *core)
{
    glv_bus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        return NULL;
    bus->core = core;
    bus->next_id = 1;
    bus->events = glv_strmap_new();
    bus->dispatch = event_new(core->base, -1, 0, dispatch_queued, bus);
    bus->notifications = glv_metrics_get(core->metrics, "glv_bus_notifications_total",
                                         GLV_METRIC_COUNTER, "Notifications dispatched", NULL);
    bus->timeouts = glv_metrics_get(core->metrics, "glv_bus_filter_timeouts_total",
                                    GLV_METRIC_COUNTER, "Filter chains that timed out", NULL);
    if (!bus->events || !bus->dispatch) {
        glv_bus_free(bus);
        return NULL;
    }
    return bus;
}

static void free_subs(struct sub *s)
{
    while (s) {
        struct sub *n = s->next;
        free(s);
        s = n;
    }
}

static void free_event(const char *key, void *value, void *arg)
{
    struct bus_event *ev = value;
    free_subs(ev->subs);
    free(ev->name);
    free(ev);
}

static void chain_free(struct chain *c)
{
    if (c->deadline)
        event_free(c->deadline);
    json_decref(c->payload);
    json_decref(c->reason);
    free(c);
}

void glv_bus_free(glv_bus *bus)
{
    if (!bus)
        return;
    while (bus->queue_head) {
        struct queued_note *q = bus->queue_head;
        bus->queue_head = q->next;
        json_decref(q->payload);
        free(q);
    }
    while (bus->orphans) {
        struct chain *c = bus->orphans;
        bus->orphans = c->next;
        chain_free(c);
    }
    if (bus->dispatch)
        event_free(bus->dispatch);
    glv_strmap_each(bus->events, free_event, NULL);
    glv_strmap_free(bus->events);
    free(bus);
}

static bool valid_event_name(const char *name)
{
    if (!name || !*name || strlen(name) > 128)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
              *c == '-'))
            return false;
    return true;
}

static struct bus_event *event_get(glv_bus *bus, const char *name, bool create)
{
    struct bus_event *ev = glv_strmap_get(bus->events, name);
    if (ev || !create)
        return ev;
    ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->name = strdup(name);
    if (!ev->name || glv_strmap_put(bus->events, name, ev) != 0) {
        free(ev->name);
        free(ev);
        return NULL;
    }
    return ev;
}

static const char *kind_name(glv_event_kind k)
{
    return k == GLV_EVENT_FILTER ? "filter" : k == GLV_EVENT_NOTIFICATION ? "notification" : "?";
}

/* Unlinks removed subscriptions once nothing walks the list. */
static void sweep(struct bus_event *ev)
{
    if (ev->busy || !ev->has_removed)
        return;
    struct sub **sp = &ev->subs;
    while (*sp) {
        if ((*sp)->removed) {
            struct sub *dead = *sp;
            *sp = dead->next;
            free(dead);
        } else {
            sp = &(*sp)->next;
        }
    }
    ev->has_removed = false;
}

static int host_event_declare(glv_plugin *p, const char *event, glv_event_kind kind,
                              uint32_t data_version)
{
    if (!valid_event_name(event))
        return glv_fail(p, -EINVAL, "event name '%s' is invalid (use [a-z0-9._-], <= 128)",
                        event ? event : "(null)");
    if (kind != GLV_EVENT_FILTER && kind != GLV_EVENT_NOTIFICATION)
        return glv_fail(p, -EINVAL, "event '%s': unknown kind %d", event, (int)kind);
    if (data_version == 0)
        return glv_fail(p, -EINVAL, "event '%s': data versions start at 1", event);
    struct bus_event *ev = event_get(p->core->bus, event, true);
    if (!ev)
        return glv_fail(p, -ENOMEM, "out of memory");
    if (ev->kind && ev->kind != kind)
        return glv_fail(p, -EEXIST, "event '%s' is already declared as a %s", event,
                        kind_name(ev->kind));
    /* Several emitters may declare one event (two transports, say); listeners
     * may rely only on what every emitter sends: the lowest version. */
    if (!ev->kind || data_version < ev->version)
        ev->version = data_version;
    ev->kind = kind;
    return 0;
}

static int plugin_order(const struct sub *a, const struct sub *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    int c = strcmp(a->plugin->name, b->plugin->name);
    if (c)
        return c;
    return a->id < b->id ? -1 : 1;
}

static int64_t subscribe(glv_plugin *p, const char *event, glv_event_kind kind, int priority,
                         uint32_t data_version, glv_filter_fn filter, glv_listener_fn listener,
                         void *arg)
{
    if (!valid_event_name(event))
        return glv_fail(p, -EINVAL, "event name '%s' is invalid", event ? event : "(null)");
    if (!filter && !listener)
        return glv_fail(p, -EINVAL, "event '%s': no handler given", event);
    glv_bus *bus = p->core->bus;
    struct bus_event *ev = event_get(bus, event, true);
    if (!ev)
        return glv_fail(p, -ENOMEM, "out of memory");
    if (ev->kind && ev->kind != kind)
        return glv_fail(p, -EINVAL, "event '%s' is a %s, not a %s", event, kind_name(ev->kind),
                        kind_name(kind));
    if (ev->kind && data_version > ev->version)
        return glv_fail(p, -EPROTO,
                        "event '%s' is declared with data version %u but the handler needs %u; "
                        "upgrade the plugin that emits it",
                        event, ev->version, data_version);
    struct sub *s = calloc(1, sizeof(*s));
    if (!s)
        return glv_fail(p, -ENOMEM, "out of memory");
    s->id = bus->next_id++;
    s->plugin = p;
    s->priority = priority;
    s->data_version = data_version;
    s->filter = filter;
    s->listener = listener;
    s->arg = arg;
    /* Inserting never disturbs a walk in progress: walkers hold a node that
     * stays linked, and new nodes only appear after or before it. */
    struct sub **sp = &ev->subs;
    while (*sp && plugin_order(*sp, s) < 0)
        sp = &(*sp)->next;
    s->next = *sp;
    *sp = s;
    return s->id;
}

static int64_t host_filter_add(glv_plugin *p, const char *event, int priority,
                               uint32_t data_version, glv_filter_fn fn, void *arg)
{
    return subscribe(p, event, GLV_EVENT_FILTER, priority, data_version, fn, NULL, arg);
}

static int64_t host_listen(glv_plugin *p, const char *event, uint32_t data_version,
                           glv_listener_fn fn, void *arg)
{
    return subscribe(p, event, GLV_EVENT_NOTIFICATION, 0, data_version, NULL, fn, arg);
}

struct unsub_ctx {
    glv_plugin *plugin;
    int64_t id; /* 0: every subscription of the plugin */
    int found;
};

static void unsub_event(const char *key, void *value, void *arg)
{
    struct bus_event *ev = value;
    struct unsub_ctx *u = arg;
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (s->removed || s->plugin != u->plugin || (u->id && s->id != u->id))
            continue;
        s->removed = true;
        ev->has_removed = true;
        u->found++;
    }
    sweep(ev);
}

static int host_unsubscribe(glv_plugin *p, int64_t subscription)
{
    if (subscription <= 0)
        return glv_fail(p, -EINVAL, "invalid subscription id %lld", (long long)subscription);
    struct unsub_ctx u = {p, subscription, 0};
    glv_strmap_each(p->core->bus->events, unsub_event, &u);
    if (!u.found)
        return glv_fail(p, -ENOENT, "no subscription %lld of plugin %s", (long long)subscription,
                        p->name);
    return 0;
}

void glv_bus_forget_plugin(glv_bus *bus, glv_plugin *p)
{
    struct unsub_ctx u = {p, 0, 0};
    glv_strmap_each(bus->events, unsub_event, &u);
}

/* ---- filter chains ---- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static json_t *chain_error(struct chain *c, const char *plugin, const char *fmt, ...)
    GLV_PRINTF(3, 4);
static json_t *chain_error(struct chain *c, const char *plugin, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:s, s:s}", "plugin", plugin, "event", c->ev->name, "message", msg);
}

/* Calls done once. The chain is freed unless a filter still owes an answer. */
static void chain_finish(struct chain *c, glv_verdict verdict, json_t *error)
{
    c->finished = true;
    c->ev->busy--;
    sweep(c->ev);
    if (c->deadline)
        event_del(c->deadline);
    glv_bus *bus = c->bus;
    bool orphan = c->waiting;
    if (orphan) {
        c->next = bus->orphans;
        if (bus->orphans)
            bus->orphans->prev = c;
        bus->orphans = c;
    }
    c->done(verdict, c->payload, error, c->done_arg);
    json_decref(error);
    if (!orphan)
        chain_free(c);
}

/* Handles a filter's verdict; returns true when the chain goes on. */
static bool chain_verdict(struct chain *c, glv_verdict v)
{
    struct sub *s = c->cur;
    const char *who = s->plugin->name;
    if (c->ev->latency)
        glv_metric_observe(c->ev->latency, seconds_since(&c->step_start));
    json_t *reason = c->reason;
    c->reason = NULL;
    switch (v) {
    case GLV_HOOK_PASS:
        json_decref(reason);
        c->cur = s->next;
        return true;
    case GLV_HOOK_HANDLED:
        json_decref(reason);
        chain_finish(c, GLV_HOOK_HANDLED, NULL);
        return false;
    case GLV_HOOK_VETO:
        if (!json_is_object(reason)) {
            json_decref(reason);
            reason = chain_error(c, who, "refused by plugin %s", who);
        } else if (!json_object_get(reason, "plugin")) {
            json_object_set_new(reason, "plugin", json_string(who));
        }
        chain_finish(c, GLV_HOOK_VETO, reason);
        return false;
    case GLV_HOOK_FAILED: {
        const char *m =
            json_is_object(reason) ? json_string_value(json_object_get(reason, "message")) : NULL;
        json_t *err =
            chain_error(c, who, "filter of plugin %s failed: %s", who, m ? m : "no reason given");
        json_decref(reason);
        glv_log(GLV_LOG_WARNING, "bus", "%s", json_string_value(json_object_get(err, "message")));
        chain_finish(c, GLV_HOOK_FAILED, err);
        return false;
    }
    default: {
        json_decref(reason);
        json_t *err = chain_error(c, who, "filter of plugin %s returned invalid verdict %d on %s",
                                  who, (int)v, c->ev->name);
        glv_log(GLV_LOG_WARNING, "bus", "%s", json_string_value(json_object_get(err, "message")));
        chain_finish(c, GLV_HOOK_FAILED, err);
        return false;
    }
    }
}

static void chain_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct chain *c = arg;
    const char *who = c->cur->plugin->name;
    json_t *err = chain_error(c, who, "filter of plugin %s did not answer event %s within %u ms",
                              who, c->ev->name, c->timeout_ms);
    glv_log(GLV_LOG_WARNING, "bus", "%s", json_string_value(json_object_get(err, "message")));
    glv_metric_add(c->bus->timeouts, 1);
    chain_finish(c, GLV_HOOK_TIMEOUT, err);
}

static void chain_run(struct chain *c)
{
    while (c->cur) {
        struct sub *s = c->cur;
        if (s->removed) {
            c->cur = s->next;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &c->step_start);
        c->in_filter = true;
        c->early_answer = false;
        glv_verdict v = s->filter(&c->call, c->payload, s->arg);
        c->in_filter = false;
        if (v == GLV_HOOK_PENDING) {
            if (c->early_answer) {
                v = c->early_verdict;
            } else {
                c->waiting = true;
                if (!c->deadline)
                    c->deadline = evtimer_new(c->bus->core->base, chain_deadline, c);
                struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
                if (c->deadline)
                    evtimer_add(c->deadline, &tv);
                return;
            }
        }
        if (!chain_verdict(c, v))
            return;
    }
    chain_finish(c, GLV_HOOK_PASS, NULL);
}

static int host_filter_run(glv_plugin *p, const char *event, json_t *payload, uint32_t timeout_ms,
                           glv_filter_done_fn done, void *arg)
{
    glv_bus *bus = p->core->bus;
    struct bus_event *ev = event_get(bus, event ? event : "", false);
    if (!ev || ev->kind != GLV_EVENT_FILTER)
        return glv_fail(p, -ENOENT, "'%s' is not a declared filter event", event ? event : "");
    if (!json_is_object(payload) || !done)
        return glv_fail(p, -EINVAL, "filter '%s': payload must be an object and done set", event);
    struct chain *c = calloc(1, sizeof(*c));
    if (!c)
        return glv_fail(p, -ENOMEM, "out of memory");
    if (!ev->latency) {
        char labels[160];
        snprintf(labels, sizeof(labels), "event=\"%s\"", ev->name);
        ev->latency = glv_metrics_get(p->core->metrics, "glv_hook_duration_seconds",
                                      GLV_METRIC_HISTOGRAM, "Time spent in each filter", labels);
    }
    c->bus = bus;
    c->ev = ev;
    c->payload = json_incref(payload);
    c->done = done;
    c->done_arg = arg;
    c->timeout_ms = timeout_ms ? timeout_ms : p->core->hook_timeout_ms;
    c->call.chain = c;
    c->cur = ev->subs;
    ev->busy++;
    chain_run(c);
    return 0;
}

static void host_filter_resume(glv_filter_call *call, glv_verdict verdict, json_t *reason)
{
    struct chain *c = call ? call->chain : NULL;
    if (!c) {
        json_decref(reason);
        return;
    }
    if (c->finished) {
        /* The chain timed out earlier: the late answer only releases it. */
        json_decref(reason);
        if (c->prev)
            c->prev->next = c->next;
        else
            c->bus->orphans = c->next;
        if (c->next)
            c->next->prev = c->prev;
        chain_free(c);
        return;
    }
    if (verdict == GLV_HOOK_PENDING || verdict == GLV_HOOK_TIMEOUT)
        verdict = GLV_HOOK_FAILED;
    json_decref(c->reason);
    c->reason = reason;
    if (c->in_filter) {
        c->early_answer = true;
        c->early_verdict = verdict;
        return;
    }
    if (!c->waiting) {
        glv_log(GLV_LOG_WARNING, "bus", "plugin %s answered a filter call of %s twice",
                c->cur ? c->cur->plugin->name : "?", c->ev->name);
        return;
    }
    c->waiting = false;
    if (c->deadline)
        event_del(c->deadline);
    if (chain_verdict(c, verdict))
        chain_run(c);
}

static void host_filter_reason(glv_filter_call *call, json_t *reason)
{
    if (!call || !call->chain || call->chain->finished) {
        json_decref(reason);
        return;
    }
    json_decref(call->chain->reason);
    call->chain->reason = reason;
}

/* ---- notifications ---- */

static void dispatch_one(glv_bus *bus, struct bus_event *ev, json_t *payload)
{
    ev->busy++;
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (s->removed)
            continue;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        s->listener(ev->name, payload, s->arg);
        if (ev->latency)
            glv_metric_observe(ev->latency, seconds_since(&start));
    }
    ev->busy--;
    sweep(ev);
    glv_metric_add(bus->notifications, 1);
}

void glv_bus_flush(glv_bus *bus)
{
    /* Take the current queue; notifications emitted by listeners now run on
     * the next turn, so one chatty listener cannot starve the loop. */
    struct queued_note *q = bus->queue_head;
    bus->queue_head = bus->queue_tail = NULL;
    while (q) {
        struct queued_note *next = q->next;
        dispatch_one(bus, q->ev, q->payload);
        json_decref(q->payload);
        free(q);
        q = next;
    }
}

static void dispatch_queued(evutil_socket_t fd, short what, void *arg)
{
    glv_bus_flush(arg);
}

static int host_notify(glv_plugin *p, const char *event, json_t *payload)
{
    glv_bus *bus = p->core->bus;
    struct bus_event *ev = event_get(bus, event ? event : "", false);
    if (!ev || ev->kind != GLV_EVENT_NOTIFICATION) {
        json_decref(payload);
        return glv_fail(p, -ENOENT, "'%s' is not a declared notification event",
                        event ? event : "");
    }
    if (!json_is_object(payload)) {
        json_decref(payload);
        return glv_fail(p, -EINVAL, "notification '%s': payload must be an object", event);
    }
    if (!ev->subs) {
        json_decref(payload);
        return 0;
    }
    struct queued_note *q = malloc(sizeof(*q));
    if (!q) {
        json_decref(payload);
        return glv_fail(p, -ENOMEM, "out of memory");
    }
    if (!ev->latency) {
        char labels[160];
        snprintf(labels, sizeof(labels), "event=\"%s\"", ev->name);
        ev->latency = glv_metrics_get(p->core->metrics, "glv_hook_duration_seconds",
                                      GLV_METRIC_HISTOGRAM, "Time spent in each hook", labels);
    }
    q->ev = ev;
    q->payload = payload;
    q->next = NULL;
    if (bus->queue_tail)
        bus->queue_tail->next = q;
    else
        bus->queue_head = q;
    bus->queue_tail = q;
    event_active(bus->dispatch, EV_TIMEOUT, 0);
    return 0;
}

static int host_listened(glv_plugin *p, const char *event)
{
    struct bus_event *ev = event_get(p->core->bus, event ? event : "", false);
    if (!ev || ev->kind != GLV_EVENT_NOTIFICATION)
        return glv_fail(p, -ENOENT, "'%s' is not a declared notification event",
                        event ? event : "");
    for (const struct sub *s = ev->subs; s; s = s->next)
        if (!s->removed)
            return 1;
    return 0;
}

/* ---- start-time check ---- */

struct check_ctx {
    char *err;
};

static void check_event(const char *key, void *value, void *arg)
{
    struct bus_event *ev = value;
    struct check_ctx *cx = arg;
    if (cx->err)
        return;
    bool any = false;
    for (struct sub *s = ev->subs; s; s = s->next)
        any = any || !s->removed;
    if (!any)
        return;
    if (!ev->kind) {
        for (struct sub *s = ev->subs; s; s = s->next)
            if (!s->removed)
                glv_log(GLV_LOG_NOTICE, "bus",
                        "plugin %s subscribes to event %s, which no loaded plugin emits",
                        s->plugin->name, ev->name);
        return;
    }
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (s->removed)
            continue;
        bool is_filter = s->filter != NULL;
        if (is_filter != (ev->kind == GLV_EVENT_FILTER)) {
            if (asprintf(&cx->err, "plugin %s subscribes to %s as a %s, but it is a %s",
                         s->plugin->name, ev->name, is_filter ? "filter" : "notification",
                         kind_name(ev->kind)) < 0)
                cx->err = NULL;
            return;
        }
        if (s->data_version > ev->version) {
            if (asprintf(&cx->err,
                         "plugin %s needs event %s at data version %u, but the loaded emitters "
                         "declare version %u; upgrade the emitting plugin or downgrade %s",
                         s->plugin->name, ev->name, s->data_version, ev->version,
                         s->plugin->name) < 0)
                cx->err = NULL;
            return;
        }
    }
    if (ev->kind == GLV_EVENT_FILTER) {
        char order[1024];
        size_t n = 0;
        order[0] = 0;
        for (struct sub *s = ev->subs; s && n < sizeof(order); s = s->next)
            if (!s->removed)
                n += (size_t)snprintf(order + n, sizeof(order) - n, "%s%s(%d)", n ? ", " : "",
                                      s->plugin->name, s->priority);
        glv_log(GLV_LOG_INFO, "bus", "filter order of %s: %s", ev->name, order);
    }
}

int glv_bus_check(glv_bus *bus, char **err)
{
    struct check_ctx cx = {NULL};
    glv_strmap_each(bus->events, check_event, &cx);
    if (cx.err) {
        *err = cx.err;
        return -1;
    }
    return 0;
}

void glv_bus_fill_host(glv_host *h)
{
    h->event_declare = host_event_declare;
    h->filter_add = host_filter_add;
    h->listen = host_listen;
    h->unsubscribe = host_unsubscribe;
    h->filter_run = host_filter_run;
    h->filter_resume = host_filter_resume;
    h->filter_reason = host_filter_reason;
    h->notify = host_notify;
    h->listened = host_listened;
}
