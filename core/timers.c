/* galvani core — timers and deferred calls on the loop. */
#include "core-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>

struct glv_timer {
    struct event *ev;
    glv_callback_fn fn;
    void *arg;
    int repeat;
    int firing;  /* inside fn */
    int stopped; /* timer_stop called inside fn */
};

static void timer_fire(evutil_socket_t fd, short what, void *arg)
{
    glv_timer *t = arg;
    t->firing = 1;
    t->fn(t->arg);
    t->firing = 0;
    if (t->stopped || !t->repeat) {
        event_free(t->ev);
        free(t);
    }
}

static glv_timer *host_timer_start(glv_plugin *p, uint32_t ms, int repeat, glv_callback_fn fn,
                                   void *arg)
{
    if (!fn) {
        glv_fail(p, -EINVAL, "timer_start needs a callback");
        return NULL;
    }
    glv_timer *t = calloc(1, sizeof(*t));
    if (!t) {
        glv_fail(p, -ENOMEM, "out of memory");
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->repeat = repeat;
    t->ev = event_new(p->core->base, -1, repeat ? EV_PERSIST : 0, timer_fire, t);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!t->ev || event_add(t->ev, &tv) != 0) {
        if (t->ev)
            event_free(t->ev);
        free(t);
        glv_fail(p, -ENOMEM, "cannot arm timer");
        return NULL;
    }
    return t;
}

static void host_timer_stop(glv_timer *t)
{
    if (!t)
        return;
    event_del(t->ev);
    if (t->firing) {
        t->stopped = 1;
        return;
    }
    event_free(t->ev);
    free(t);
}

struct deferred {
    glv_callback_fn fn;
    void *arg;
};

static void deferred_run(evutil_socket_t fd, short what, void *arg)
{
    struct deferred *d = arg;
    d->fn(d->arg);
    free(d);
}

static int host_defer(glv_plugin *p, glv_callback_fn fn, void *arg)
{
    struct deferred *d = malloc(sizeof(*d));
    if (!d || !fn) {
        free(d);
        return glv_fail(p, -EINVAL, "defer needs a callback");
    }
    d->fn = fn;
    d->arg = arg;
    if (event_base_once(p->core->base, -1, EV_TIMEOUT, deferred_run, d, NULL) != 0) {
        free(d);
        return glv_fail(p, -ENOMEM, "cannot schedule deferred call");
    }
    return 0;
}

void glv_timers_fill_host(glv_host *h)
{
    h->timer_start = host_timer_start;
    h->timer_stop = host_timer_stop;
    h->defer = host_defer;
}
