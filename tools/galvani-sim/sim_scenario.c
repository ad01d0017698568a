/* Scenario mode: runs a line-based script against one charger and checks
 * every expectation (syntax in docs/SIMULATOR.md). */
#include "sim_protocol.h"
#include "sim_rpc.h"
#include "sim_run.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 16
#define LOG_SIZE 64

enum wait_for {
    W_NONE,
    W_STEP,   /* ready for the next line */
    W_LINK,   /* connection open (or refused, with expect rejected) */
    W_ANSWER, /* answer to the awaited message */
    W_CALL,   /* a call from the CSMS */
    W_ERROR,  /* a CALLERROR from the CSMS */
    W_CLOSED, /* the connection ended */
    W_TIME,   /* wait */
    W_METER,  /* sampling of a connector finished */
    W_FLUSH,  /* queue empty */
};

struct seen {
    char name[48];
    uint8_t used;
};

struct scenario {
    struct sim_fleet *f;
    struct sim_charger *c;
    char **lines;
    unsigned n_lines;
    unsigned cur; /* 0-based index of the next line */
    unsigned line_no;
    enum wait_for wait;
    const struct sim_msg *awaited;
    int expect_refused;
    int meter_connector;
    char want[48];
    uint64_t deadline_ms;
    struct event *step_ev;
    struct event *poll_ev;
    struct seen calls[LOG_SIZE];
    unsigned n_calls;
    struct seen errors[LOG_SIZE];
    unsigned n_errors;
    char last_received[200];
    int failed;
    int done;
};

static void say(struct scenario *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[%8.3f] ", sim_now_ms(s->f) / 1000.0);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void finish(struct scenario *s)
{
    if (s->done)
        return;
    s->done = 1;
    s->wait = W_NONE;
    event_base_loopexit(s->f->base, NULL);
}

static void fail(struct scenario *s, unsigned line, const char *fmt, ...)
{
    if (s->failed)
        return;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    printf("[%8.3f] FAIL line %u: %s\n", sim_now_ms(s->f) / 1000.0, line, what);
    if (s->last_received[0])
        printf("           last received: %s\n", s->last_received);
    fflush(stdout);
    s->failed = 1;
    finish(s);
}

static void next(struct scenario *s)
{
    s->wait = W_STEP;
    s->awaited = NULL;
    event_active(s->step_ev, EV_TIMEOUT, 0);
}

static void remember(struct seen *log, unsigned *n, const char *name)
{
    unsigned i = *n < LOG_SIZE ? (*n)++ : LOG_SIZE - 1;
    snprintf(log[i].name, sizeof(log[i].name), "%s", name);
    log[i].used = 0;
}

static int consume(struct seen *log, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (!log[i].used && strcmp(log[i].name, name) == 0) {
            log[i].used = 1;
            return 1;
        }
    }
    return 0;
}

/* ---- observer ---- */

static void obs_link_up(void *arg, struct sim_charger *c)
{
    struct scenario *s = arg;
    say(s, "  connected");
    if (s->wait == W_LINK) {
        if (s->expect_refused)
            fail(s, s->line_no, "connection was accepted, expected it to be refused");
        else
            next(s);
    }
}

static void obs_link_down(void *arg, struct sim_charger *c, const char *why)
{
    struct scenario *s = arg;
    say(s, "  disconnected: %s", why);
    if (s->wait == W_LINK) {
        if (s->expect_refused)
            next(s);
        else
            fail(s, s->line_no, "could not connect: %s", why);
    } else if (s->wait == W_CLOSED) {
        next(s);
    }
}

static void obs_answered(void *arg, struct sim_charger *c, const struct sim_msg *m,
                         const char *action, json_t *payload, const char *error_code,
                         uint64_t latency_us)
{
    struct scenario *s = arg;
    struct sim_answer a = {.interval_s = -1};
    if (payload)
        s->f->proto->read_answer((enum sim_msg_kind)m->kind, payload, &a);
    if (error_code)
        say(s, "  %s -> CALLERROR %s (%.1f ms)", action, error_code, latency_us / 1000.0);
    else
        say(s, "  %s -> %s (%.1f ms)", action, a.status ? a.status : "answered",
            latency_us / 1000.0);
    if (m->expect) {
        if (error_code)
            fail(s, m->line, "%s: expected %s, got CALLERROR %s", action, m->expect, error_code);
        else if (!a.status || strcmp(a.status, m->expect) != 0)
            fail(s, m->line, "%s: expected %s, got %s", action, m->expect,
                 a.status ? a.status : "no status");
    }
    if (s->awaited == m && s->wait == W_ANSWER && !s->failed)
        next(s);
}

static void obs_deferred(void *arg, struct sim_charger *c, const struct sim_msg *m)
{
    struct scenario *s = arg;
    if (s->awaited == m && s->wait == W_ANSWER) {
        say(s, "  %s kept for resending after reconnect",
            s->f->proto->action((enum sim_msg_kind)m->kind));
        next(s);
    }
}

static void obs_discarded(void *arg, struct sim_charger *c, const struct sim_msg *m,
                          const char *why)
{
    struct scenario *s = arg;
    const char *action = s->f->proto->action((enum sim_msg_kind)m->kind);
    if (m->expect || s->awaited == m)
        fail(s, m->line ? m->line : s->line_no, "%s was not answered: %s", action, why);
}

static void obs_call(void *arg, struct sim_charger *c, const char *action, json_t *payload)
{
    struct scenario *s = arg;
    remember(s->calls, &s->n_calls, action);
    say(s, "  CSMS called %s", action);
    if (s->wait == W_CALL && consume(s->calls, s->n_calls, s->want))
        next(s);
}

static void obs_error(void *arg, struct sim_charger *c, const char *id, const char *code,
                      const char *description)
{
    struct scenario *s = arg;
    remember(s->errors, &s->n_errors, code);
    say(s, "  CSMS answered CALLERROR %s (%s) to %s", code, description, id);
    if (s->wait == W_ERROR && consume(s->errors, s->n_errors, s->want))
        next(s);
}

static void obs_frame(void *arg, struct sim_charger *c, int outgoing, const char *text, size_t len)
{
    struct scenario *s = arg;
    if (!outgoing)
        snprintf(s->last_received, sizeof(s->last_received), "%.*s", (int)(len < 190 ? len : 190),
                 text);
    if (s->f->opts->verbose)
        say(s, "  %s %.*s%s", outgoing ? ">>" : "<<", (int)(len > 400 ? 400 : len), text,
            len > 400 ? "..." : "");
}

static const struct sim_observer observer = {
    obs_link_up,   obs_link_down, obs_answered, obs_deferred,
    obs_discarded, obs_call,      obs_error,    obs_frame,
};

/* ---- parsing ---- */

static int split(char *line, char **words)
{
    int n = 0;
    char *p = line;
    while (*p && n < MAX_WORDS) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            words[n++] = p;
            char *end = strrchr(p, q);
            if (!end || end < p)
                return -1;
            *end = '\0';
            p = end + 1;
            continue;
        }
        words[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int parse_ms(const char *s, unsigned *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        *out = (unsigned)v;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        *out = (unsigned)(v * 1000);
    else if (strcmp(end, "m") == 0)
        *out = (unsigned)(v * 60000);
    else
        return -1;
    return 0;
}

/* Looks for "KEYWORD value" among the words; returns the value. */
static const char *option(char **w, int n, const char *key)
{
    for (int i = 0; i + 1 < n; i++) {
        if (strcmp(w[i], key) == 0)
            return w[i + 1];
    }
    return NULL;
}

static int int_arg(const char *s, int *out)
{
    char *end;
    long v = strtol(s ? s : "", &end, 10);
    if (!s || end == s || *end)
        return -1;
    *out = (int)v;
    return 0;
}

static void wait_with_deadline(struct scenario *s, enum wait_for w, unsigned ms)
{
    s->wait = w;
    s->deadline_ms = sim_now_ms(s->f) + ms;
}

/* After sending: wait for the answer unless the message stays queued. */
static void await(struct scenario *s, struct sim_msg *m, const char *expect)
{
    if (!m) {
        fail(s, s->line_no, "nothing was sent (connector busy, unknown or without a transaction)");
        return;
    }
    m->line = (uint16_t)s->line_no;
    if (expect)
        m->expect = strdup(expect);
    if (s->c->link != SIM_LINK_UP) {
        say(s, "  offline: %s queued", s->f->proto->action((enum sim_msg_kind)m->kind));
        next(s);
        return;
    }
    s->awaited = m;
    wait_with_deadline(s, W_ANSWER, s->f->opts->call_timeout_ms + 2000);
}

static void run_line(struct scenario *s, char *line)
{
    char *w[MAX_WORDS];
    int n = split(line, w);
    struct sim_charger *c = s->c;
    struct sim_fleet *f = s->f;
    if (n < 0) {
        fail(s, s->line_no, "unbalanced quote");
        return;
    }
    if (n == 0) {
        next(s);
        return;
    }
    const char *cmd = w[0];
    const char *expect = option(w, n, "expect");
    const char *within = option(w, n, "within");
    unsigned within_ms = 10000;
    if (within && parse_ms(within, &within_ms) != 0) {
        fail(s, s->line_no, "bad duration '%s'", within);
        return;
    }
    int conn = 0;
    if (strcmp(cmd, "connect") == 0 || strcmp(cmd, "reconnect") == 0) {
        if (strcmp(cmd, "reconnect") == 0)
            sim_charger_drop(c);
        s->expect_refused = expect && strcmp(expect, "rejected") == 0;
        if (c->link == SIM_LINK_UP) {
            next(s);
            return;
        }
        if (sim_charger_connect(c) != 0 && !s->expect_refused) {
            fail(s, s->line_no, "cannot start connecting");
            return;
        }
        if (c->link == SIM_LINK_DOWN && s->expect_refused) {
            next(s);
            return;
        }
        wait_with_deadline(s, W_LINK, within_ms);
    } else if (strcmp(cmd, "drop") == 0) {
        sim_charger_drop(c);
        next(s);
    } else if (strcmp(cmd, "close") == 0) {
        if (c->link == SIM_LINK_DOWN) {
            next(s);
            return;
        }
        sim_charger_close(c);
        wait_with_deadline(s, W_CLOSED, within_ms);
    } else if (strcmp(cmd, "expect-closed") == 0) {
        if (c->link == SIM_LINK_DOWN) {
            next(s);
            return;
        }
        wait_with_deadline(s, W_CLOSED, within_ms);
    } else if (strcmp(cmd, "drop-after-send") == 0 && n >= 2) {
        snprintf(f->drop_after_action, sizeof(f->drop_after_action), "%s", w[1]);
        next(s);
    } else if (strcmp(cmd, "boot") == 0) {
        c->boot = SIM_BOOT_SENT;
        await(s, sim_charger_send(c, SIM_MSG_BOOT, 0, NULL, NULL), expect);
    } else if (strcmp(cmd, "heartbeat") == 0) {
        await(s, sim_charger_send(c, SIM_MSG_HEARTBEAT, 0, NULL, NULL), expect);
    } else if (strcmp(cmd, "status") == 0 && n >= 3 && int_arg(w[1], &conn) == 0) {
        static const char *const names[] = {"Available",     "Preparing",   "Charging",
                                            "SuspendedEVSE", "SuspendedEV", "Finishing",
                                            "Reserved",      "Unavailable", "Faulted"};
        int st = -1;
        for (int i = 0; i < 9; i++) {
            if (strcmp(w[2], names[i]) == 0)
                st = i;
        }
        if (conn < 0 || (unsigned)conn > sim_charger_connector_count(c)) {
            fail(s, s->line_no, "no connector %d", conn);
            return;
        }
        if (st >= 0)
            c->connectors[conn].status = (uint8_t)st;
        const char *err = n >= 4 && strcmp(w[3], "expect") != 0 ? w[3] : NULL;
        await(s, sim_charger_send(c, SIM_MSG_STATUS, conn, w[2], err), expect);
    } else if (strcmp(cmd, "authorize") == 0 && n >= 2) {
        await(s, sim_charger_send(c, SIM_MSG_AUTHORIZE, 0, w[1], NULL), expect);
    } else if (strcmp(cmd, "start") == 0 && n >= 3 && int_arg(w[1], &conn) == 0) {
        const char *meter = option(w, n, "meter");
        await(s, sim_charger_tx_start(c, conn, w[2], meter ? atof(meter) : -1), expect);
    } else if (strcmp(cmd, "stop") == 0 && n >= 2 && int_arg(w[1], &conn) == 0) {
        const char *meter = option(w, n, "meter");
        const char *reason = option(w, n, "reason");
        await(s, sim_charger_tx_stop(c, conn, reason ? reason : "Local", meter ? atof(meter) : -1),
              expect);
    } else if (strcmp(cmd, "meter") == 0 && n >= 2 && int_arg(w[1], &conn) == 0) {
        const char *every = option(w, n, "every");
        const char *count = option(w, n, "for");
        if (conn < 1 || (unsigned)conn > sim_charger_connector_count(c)) {
            fail(s, s->line_no, "no connector %d", conn);
            return;
        }
        if (!every) {
            await(s, sim_charger_meter_now(c, conn), expect);
            return;
        }
        unsigned every_ms = 0;
        int times = 0;
        if (parse_ms(every, &every_ms) != 0 || every_ms == 0 || int_arg(count, &times) != 0 ||
            times < 1) {
            fail(s, s->line_no, "usage: meter CONNECTOR every DURATION for COUNT");
            return;
        }
        struct sim_connector *k = &c->connectors[conn];
        k->meter_every_ms = every_ms;
        k->meter_left = (uint16_t)times;
        k->next_meter_ms = sim_now_ms(f) + every_ms;
        sim_charger_schedule(c);
        s->meter_connector = conn;
        wait_with_deadline(s, W_METER, every_ms * (unsigned)times + 5000);
    } else if (strcmp(cmd, "data-transfer") == 0 && n >= 2) {
        struct sim_event ev = {.text = w[1],
                               .text2 = n >= 3 && strcmp(w[2], "expect") ? w[2] : NULL,
                               .text3 = n >= 4 && strcmp(w[3], "expect") ? w[3] : NULL,
                               .reservation_id = -1,
                               .wall_ms = sim_wall_ms()};
        await(s, sim_rpc_enqueue(c, SIM_MSG_DATA_TRANSFER, &ev, 0), expect);
    } else if (strcmp(cmd, "security-event") == 0 && n >= 2) {
        await(s, sim_charger_send(c, SIM_MSG_SECURITY_EVENT, 0, w[1], NULL), expect);
    } else if (strcmp(cmd, "send-raw") == 0 && n >= 2) {
        if (sim_rpc_send_raw(c, w[1]) != 0) {
            fail(s, s->line_no, "not connected");
            return;
        }
        next(s);
    } else if (strcmp(cmd, "expect-call") == 0 && n >= 2) {
        snprintf(s->want, sizeof(s->want), "%s", w[1]);
        if (consume(s->calls, s->n_calls, s->want)) {
            next(s);
            return;
        }
        wait_with_deadline(s, W_CALL, within_ms);
    } else if (strcmp(cmd, "expect-error") == 0 && n >= 2) {
        snprintf(s->want, sizeof(s->want), "%s", w[1]);
        if (consume(s->errors, s->n_errors, s->want)) {
            next(s);
            return;
        }
        wait_with_deadline(s, W_ERROR, within_ms);
    } else if (strcmp(cmd, "flush") == 0) {
        wait_with_deadline(s, W_FLUSH, within_ms);
    } else if (strcmp(cmd, "wait") == 0 && n >= 2) {
        unsigned ms;
        if (parse_ms(w[1], &ms) != 0) {
            fail(s, s->line_no, "bad duration '%s'", w[1]);
            return;
        }
        wait_with_deadline(s, W_TIME, ms);
    } else if (strcmp(cmd, "echo") == 0) {
        next(s);
    } else {
        fail(s, s->line_no, "unknown or incomplete command '%s'", cmd);
    }
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
    struct scenario *s = arg;
    if (s->done || s->wait != W_STEP)
        return;
    while (s->cur < s->n_lines && !s->done) {
        char *line = strdup(s->lines[s->cur]);
        s->line_no = s->cur + 1;
        s->cur++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#') {
            free(line);
            continue;
        }
        p[strcspn(p, "\r\n")] = '\0';
        say(s, "line %u: %s", s->line_no, p);
        s->wait = W_NONE;
        run_line(s, p);
        free(line);
        return;
    }
    if (s->done)
        return;
    /* End of script: queued messages with expectations were never answered. */
    for (const struct sim_msg *m = s->c->head; m; m = m->next) {
        if (m->expect) {
            fail(s, m->line, "%s was never answered",
                 s->f->proto->action((enum sim_msg_kind)m->kind));
            return;
        }
    }
    finish(s);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct scenario *s = arg;
    if (s->done)
        return;
    uint64_t now = sim_now_ms(s->f);
    if (s->wait == W_TIME && now >= s->deadline_ms) {
        next(s);
        return;
    }
    if (s->wait == W_METER && s->c->connectors[s->meter_connector].meter_left == 0) {
        next(s);
        return;
    }
    if (s->wait == W_FLUSH && s->c->head == NULL) {
        next(s);
        return;
    }
    if (s->wait != W_NONE && s->wait != W_STEP && s->wait != W_TIME && now >= s->deadline_ms) {
        static const char *what_names[] = {"",
                                           "",
                                           "the connection",
                                           "an answer",
                                           "a call",
                                           "a CALLERROR",
                                           "the connection to end",
                                           "",
                                           "meter sampling",
                                           "the queue to empty"};
        fail(s, s->line_no, "timed out waiting for %s%s%s", what_names[s->wait],
             s->want[0] && (s->wait == W_CALL || s->wait == W_ERROR) ? " " : "",
             s->wait == W_CALL || s->wait == W_ERROR ? s->want : "");
    }
}

static int load_lines(struct scenario *s, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "galvani-sim: cannot open scenario %s\n", path);
        return -1;
    }
    char buf[8192];
    unsigned cap = 0;
    while (fgets(buf, sizeof(buf), fp)) {
        if (s->n_lines == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(s->lines, cap * sizeof(*grown));
            if (!grown) {
                fclose(fp);
                return -1;
            }
            s->lines = grown;
        }
        s->lines[s->n_lines++] = strdup(buf);
    }
    fclose(fp);
    return 0;
}

int sim_scenario_run(struct sim_fleet *f, const char *path)
{
    struct scenario *s = calloc(1, sizeof(*s));
    if (!s || load_lines(s, path) != 0) {
        free(s);
        return 2;
    }
    f->chargers = calloc(1, sizeof(*f->chargers));
    if (!f->chargers)
        return 2;
    sim_charger_init(&f->chargers[0], f, 0);
    s->f = f;
    s->c = &f->chargers[0];
    f->observer = &observer;
    f->observer_arg = s;
    char identity[64];
    sim_charger_identity(s->c, identity, sizeof(identity));
    say(s, "scenario %s: charger %s, %s, %s://%s:%s%s", path, identity, f->proto->name,
        f->opts->tls ? "wss" : "ws", f->opts->host, f->opts->port, f->opts->path);
    s->step_ev = event_new(f->base, -1, 0, on_step, s);
    s->poll_ev = event_new(f->base, -1, EV_PERSIST, on_poll, s);
    struct timeval poll_tv = {0, 50000};
    event_add(s->poll_ev, &poll_tv);
    next(s);
    event_base_dispatch(f->base);

    f->stopping = true;
    f->observer = NULL;
    sim_charger_close(s->c);
    struct timeval drain = {0, 200000};
    event_base_loopexit(f->base, &drain);
    event_base_dispatch(f->base);
    int failed = s->failed;
    if (!failed)
        printf("[%8.3f] PASS: every expectation held\n", sim_now_ms(f) / 1000.0);
    event_free(s->step_ev);
    event_free(s->poll_ev);
    for (unsigned i = 0; i < s->n_lines; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s);
    return failed ? 1 : 0;
}
