/*
 * galvani core — charger commands (see charger.h and docs/CHARGERS.md).
 *
 * command_send records the command and reads the charger's node and
 * transport in one statement. A command for a charger held here runs the
 * local handler; one held by another node is claimed by that node after a
 * NOTIFY "c:<id>" on its channel, and its answer comes back as a NOTIFY
 * "r:<id>" on the sender's channel, which then reads the row. The sender
 * keeps a deadline per command; when it passes, the row is finished as
 * "timeout" unless an answer was written first.
 *
 * The row is the audit trail, so secrets stay out of it: the value of every
 * member named "password", at any depth of the args, is recorded as "***".
 * The handler still gets the args as sent: from memory on this node, and on
 * another node from the NOTIFY that tells it ("c:<id>:<args>"), which is
 * never stored.
 */
#include "commands-internal.h"
#include "log-internal.h"
#include "registry-internal.h"
#include "strmap-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_NAME_MAX 64
#define TIMEOUT_MAX_MS 3600000u
#define REDACTED_MEMBER "password"
#define REDACTED_VALUE "***"
#define NOTIFY_PAYLOAD_MAX 7900 /* PostgreSQL refuses 8000 bytes and more */

static const char SQL_SEND[] =
    "WITH k AS (SELECT c.identity AS known, n.node, n.transport, n.channel"
    " FROM (SELECT $1::text AS identity) q"
    " LEFT JOIN glv_chargers c ON c.identity = q.identity"
    " LEFT JOIN glv_charger_connections n ON n.identity = q.identity),"
    " ins AS (INSERT INTO glv_charger_commands (identity, command, args, origin_node,"
    " origin_channel, target_node, transport, status, error, timeout_ms, started_at,"
    " finished_at)"
    " SELECT $1, $2, $3::jsonb, $4, $5, k.node, k.transport,"
    " CASE WHEN k.known IS NULL THEN 'unknown' WHEN k.node IS NULL THEN 'offline'"
    " WHEN k.node = $4 THEN 'running' ELSE 'pending' END,"
    " CASE WHEN k.known IS NULL THEN jsonb_build_object('code', 'unknown', 'message',"
    " 'no charger with identity ' || $1)"
    " WHEN k.node IS NULL THEN jsonb_build_object('code', 'offline', 'message',"
    " 'charger ' || $1 || ' is not connected') END,"
    " $6::integer, CASE WHEN k.node = $4 THEN now() END,"
    " CASE WHEN k.node IS NULL THEN now() END FROM k"
    " RETURNING id, status, transport, error)"
    " SELECT ins.id, ins.status, ins.transport, ins.error::text, k.channel FROM ins, k";

static const char SQL_CLAIM[] =
    "UPDATE glv_charger_commands SET status = 'running', started_at = now()"
    " WHERE id = $1 AND status = 'pending' AND target_node = $2"
    " RETURNING identity, command, args::text, transport, id";

static const char SQL_REPLY[] =
    "UPDATE glv_charger_commands SET status = $2, result = $3::jsonb, error = $4::jsonb,"
    " finished_at = now() WHERE id = $1 AND finished_at IS NULL RETURNING origin_channel";

static const char SQL_TIMEOUT[] =
    "UPDATE glv_charger_commands SET status = 'timeout', error = $2::jsonb, finished_at = now()"
    " WHERE id = $1 AND finished_at IS NULL RETURNING id";

static const char SQL_FETCH[] =
    "SELECT status, result::text, error::text FROM glv_charger_commands WHERE id = $1";

typedef struct glv_commands commands;

typedef struct handler {
    glv_plugin *p;
    glv_command_fn fn;
    void *arg;
} handler;

/* A command sent from this node, waiting for its answer. */
typedef struct pending {
    struct pending *next, *prev;
    commands *cs;
    glv_plugin *p; /* the sender */
    int64_t id;    /* 0 until recorded */
    glv_command_result_fn done;
    void *arg;
    glv_timer *timer;
    uint32_t timeout_ms;
    int expiring; /* the deadline passed; the timeout path answers */
    int reading;  /* the answer's row is being read */
    char *identity, *command;
    json_t *args;
    int redacted; /* the recorded args differ from args */
} pending;

struct glv_command {
    commands *cs;
    int64_t id;
    int remote_origin; /* the sender is another node */
    char *identity, *command;
    json_t *args;
};

struct glv_commands {
    glv_plugin *self;
    glv_strmap *handlers; /* transport → handler */
    pending *head;
    int listening;
    char channel[GLV_COMMANDS_CHANNEL_MAX];
};

static void on_notify(const char *channel, const char *payload, void *arg);

void glv_commands_channel(const char *node_id, char out[GLV_COMMANDS_CHANNEL_MAX])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *s = (const unsigned char *)node_id; *s; s++) {
        h ^= *s;
        h *= 0x100000001b3ull;
    }
    snprintf(out, GLV_COMMANDS_CHANNEL_MAX, "glv_node_%016" PRIx64, h);
}

/* The core's command router, made on first use; NULL when out of memory. */
static commands *commands_of(glv_core *core)
{
    if (core->commands)
        return core->commands;
    commands *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    cs->handlers = glv_strmap_new();
    cs->self = cs->handlers ? glv_core_plugin_new(core, "commands") : NULL;
    if (!cs->self) {
        glv_strmap_free(cs->handlers);
        free(cs);
        return NULL;
    }
    glv_commands_channel(core->node_id, cs->channel);
    core->commands = cs;
    return cs;
}

static void free_handler(const char *key, void *value, void *arg)
{
    free(value);
}

static void pending_free(pending *pd);

void glv_commands_free(glv_commands *cs)
{
    if (!cs)
        return;
    while (cs->head) {
        pending *pd = cs->head;
        cs->head = pd->next;
        pending_free(pd);
    }
    glv_strmap_each(cs->handlers, free_handler, NULL);
    glv_strmap_free(cs->handlers);
    free(cs);
}

int glv_commands_listen(glv_core *core)
{
    commands *cs = commands_of(core);
    if (!cs)
        return -ENOMEM;
    if (cs->listening || !core->db)
        return 0;
    int r = core->host.db_listen(cs->self, cs->channel, on_notify, cs);
    if (r == 0)
        cs->listening = 1;
    return r;
}

/* A copy of v with the value of every member named "password" (at any
 * depth, in objects inside arrays too) replaced by "***"; *changed is set
 * when one was. NULL when out of memory. */
static json_t *redact(const json_t *v, int *changed)
{
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member)
        {
            json_t *copy;
            if (strcmp(key, REDACTED_MEMBER) == 0) {
                copy = json_string(REDACTED_VALUE);
                *changed = 1;
            } else {
                copy = redact(member, changed);
            }
            if (!out || !copy || json_object_set_new(out, key, copy) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            json_t *copy = redact(item, changed);
            if (!out || !copy || json_array_append_new(out, copy) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

static json_t *error_new(const char *code, const char *fmt, ...) GLV_PRINTF(2, 3);
static json_t *error_new(const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:s}", "code", code, "message", msg);
}

/* ---- the sender's side ---- */

static void pending_free(pending *pd)
{
    if (pd->timer)
        pd->cs->self->core->host.timer_stop(pd->timer);
    free(pd->identity);
    free(pd->command);
    json_decref(pd->args);
    free(pd);
}

static void pending_link(pending *pd)
{
    commands *cs = pd->cs;
    pd->prev = NULL;
    pd->next = cs->head;
    if (cs->head)
        cs->head->prev = pd;
    cs->head = pd;
}

static void pending_unlink(pending *pd)
{
    commands *cs = pd->cs;
    if (pd->prev)
        pd->prev->next = pd->next;
    else if (cs->head == pd)
        cs->head = pd->next;
    if (pd->next)
        pd->next->prev = pd->prev;
    pd->next = pd->prev = NULL;
}

static pending *pending_find(commands *cs, int64_t id)
{
    for (pending *pd = cs->head; pd; pd = pd->next)
        if (pd->id == id)
            return pd;
    return NULL;
}

/* Hands the answer to the sender and forgets the command. */
static void deliver(pending *pd, const json_t *result, const json_t *error)
{
    if (pd->id)
        pending_unlink(pd);
    if (pd->done)
        pd->done(error ? NULL : result, error, pd->arg);
    pending_free(pd);
}

static void deliver_new(pending *pd, json_t *result, json_t *error)
{
    deliver(pd, result, error);
    json_decref(result);
    json_decref(error);
}

/* Delivers what the row of a finished command says (res of SQL_FETCH). */
static void deliver_row(pending *pd, const glv_db_result *res)
{
    const glv_host *h = &pd->cs->self->core->host;
    if (!h->db_ok(res) || h->db_rows(res) != 1) {
        deliver_new(pd, NULL,
                    error_new("database", "the answer of command %" PRId64 " cannot be read: %s",
                              pd->id, h->db_error(res) ? h->db_error(res) : "no such command"));
        return;
    }
    const char *status = h->db_value(res, 0, 0);
    const char *rtext = h->db_value(res, 0, 1), *etext = h->db_value(res, 0, 2);
    json_t *result = rtext ? json_loads(rtext, 0, NULL) : NULL;
    json_t *error = etext ? json_loads(etext, 0, NULL) : NULL;
    if (strcmp(status, "succeeded") == 0) {
        json_decref(error);
        error = NULL;
        if (!result)
            result = json_object();
    } else if (!error) {
        error = error_new(status, "command %s", status);
    }
    deliver_new(pd, result, error);
}

static void fetch_after_timeout(const glv_db_result *res, void *arg)
{
    deliver_row(arg, res);
}

static void timeout_done(const glv_db_result *res, void *arg)
{
    pending *pd = arg;
    const glv_host *h = &pd->cs->self->core->host;
    if (h->db_ok(res) && h->db_rows(res) == 0) {
        /* An answer was written before the deadline was: it stands. */
        const char *params[1];
        char id[24];
        snprintf(id, sizeof(id), "%" PRId64, pd->id);
        params[0] = id;
        if (h->db_query(pd->cs->self, SQL_FETCH, 1, params, fetch_after_timeout, pd) == 0)
            return;
    }
    deliver_new(pd, NULL,
                error_new("timeout", "charger %s did not answer %s within %u ms", pd->identity,
                          pd->command, (unsigned)pd->timeout_ms));
}

static void deadline(void *arg)
{
    pending *pd = arg;
    const glv_host *h = &pd->cs->self->core->host;
    pd->timer = NULL; /* a one-shot timer is released by the host */
    if (pd->reading)
        return; /* the answer is being read: fetch_done delivers it */
    pd->expiring = 1;
    json_t *err = error_new("timeout", "charger %s did not answer %s within %u ms", pd->identity,
                            pd->command, (unsigned)pd->timeout_ms);
    char *etext = json_dumps(err, JSON_COMPACT);
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, pd->id);
    const char *params[2] = {id, etext};
    int r = etext ? h->db_query(pd->cs->self, SQL_TIMEOUT, 2, params, timeout_done, pd) : -ENOMEM;
    free(etext);
    if (r < 0)
        deliver(pd, NULL, err);
    json_decref(err);
}

static void fetch_done(const glv_db_result *res, void *arg)
{
    pending *pd = arg;
    pd->reading = 0;
    if (!pd->cs->self->core->host.db_ok(res) && pd->timer)
        return; /* the deadline will read the row again */
    deliver_row(pd, res);
}

/* NOTIFY "r:<id>": the command's answer is in its row. */
static void answer_arrived(commands *cs, int64_t id)
{
    pending *pd = pending_find(cs, id);
    if (!pd || pd->expiring || pd->reading)
        return;
    char text[24];
    snprintf(text, sizeof(text), "%" PRId64, id);
    const char *params[1] = {text};
    pd->reading = 1; /* one reader of the row at a time */
    if (cs->self->core->host.db_query(cs->self, SQL_FETCH, 1, params, fetch_done, pd) != 0)
        pd->reading = 0;
}

/* ---- the charger's side ---- */

static void command_free(glv_command *cmd)
{
    free(cmd->identity);
    free(cmd->command);
    json_decref(cmd->args);
    free(cmd);
}

static void host_command_reply(glv_command *cmd, json_t *result, json_t *error);

/* Runs cmd through the handler of transport (cmd stolen). */
static void dispatch(commands *cs, glv_command *cmd, const char *transport)
{
    handler *hd = transport ? glv_strmap_get(cs->handlers, transport) : NULL;
    if (!hd || hd->p->state < GLV_PLUGIN_INITIALIZED || hd->p->state > GLV_PLUGIN_STARTED) {
        host_command_reply(cmd, NULL,
                           error_new("unsupported",
                                     "no command handler for transport %s on node %s",
                                     transport ? transport : "(none)", cs->self->core->node_id));
        return;
    }
    hd->fn(cmd, cmd->identity, cmd->command, cmd->args, hd->arg);
}

static glv_command *command_new(commands *cs, int64_t id, const char *identity, const char *command,
                                json_t *args, int remote_origin)
{
    glv_command *cmd = calloc(1, sizeof(*cmd));
    if (!cmd) {
        json_decref(args);
        return NULL;
    }
    cmd->cs = cs;
    cmd->id = id;
    cmd->remote_origin = remote_origin;
    cmd->identity = strdup(identity);
    cmd->command = strdup(command);
    cmd->args = args && json_is_object(args) ? args : json_object();
    if (cmd->args != args)
        json_decref(args);
    if (!cmd->identity || !cmd->command || !cmd->args) {
        command_free(cmd);
        return NULL;
    }
    return cmd;
}

struct claim {
    commands *cs;
    json_t *args; /* as sent, from the NOTIFY; NULL: the recorded ones */
};

static void claim_done(const glv_db_result *res, void *arg)
{
    struct claim *cl = arg;
    commands *cs = cl->cs;
    json_t *sent = cl->args;
    free(cl);
    const glv_host *h = &cs->self->core->host;
    if (!h->db_ok(res)) {
        glv_log(GLV_LOG_WARNING, "commands", "a command for this node cannot be claimed: %s",
                h->db_error(res));
        json_decref(sent);
        return;
    }
    if (h->db_rows(res) != 1) {
        json_decref(sent);
        return; /* claimed already, or not for this node */
    }
    const char *args = h->db_value(res, 0, 2);
    glv_command *cmd = command_new(cs, 0, h->db_value(res, 0, 0), h->db_value(res, 0, 1),
                                   sent   ? sent
                                   : args ? json_loads(args, 0, NULL)
                                          : NULL,
                                   1);
    if (!cmd) {
        glv_log(GLV_LOG_ERR, "commands", "out of memory running a command");
        return;
    }
    cmd->id = strtoll(h->db_value(res, 0, 4), NULL, 10);
    dispatch(cs, cmd, h->db_value(res, 0, 3));
}

/* NOTIFY "c:<id>[:<args>]": a command for a charger held here (args stolen). */
static void command_arrived(commands *cs, int64_t id, json_t *args)
{
    struct claim *cl = calloc(1, sizeof(*cl));
    if (!cl) {
        json_decref(args);
        glv_log(GLV_LOG_ERR, "commands", "out of memory claiming a command");
        return;
    }
    cl->cs = cs;
    cl->args = args;
    char text[24];
    snprintf(text, sizeof(text), "%" PRId64, id);
    const char *params[2] = {text, cs->self->core->node_id};
    if (cs->self->core->host.db_query(cs->self, SQL_CLAIM, 2, params, claim_done, cl) != 0) {
        json_decref(args);
        free(cl);
    }
}

static void on_notify(const char *channel, const char *payload, void *arg)
{
    (void)channel;
    commands *cs = arg;
    if (!payload || (payload[0] != 'c' && payload[0] != 'r') || payload[1] != ':')
        return;
    char *end;
    long long id = strtoll(payload + 2, &end, 10);
    if ((*end && (*end != ':' || payload[0] != 'c')) || id <= 0)
        return;
    json_t *args = NULL;
    if (*end == ':') {
        args = json_loads(end + 1, 0, NULL);
        if (!json_is_object(args)) {
            json_decref(args);
            glv_log(GLV_LOG_WARNING, "commands",
                    "command %lld: unreadable args in the notification", id);
            return;
        }
    }
    if (payload[0] == 'c')
        command_arrived(cs, id, args);
    else
        answer_arrived(cs, id);
}

struct reply {
    commands *cs;
    int64_t id;
    int remote_origin;
    json_t *result, *error;
};

static void reply_done(const glv_db_result *res, void *arg)
{
    struct reply *rp = arg;
    commands *cs = rp->cs;
    const glv_host *h = &cs->self->core->host;
    if (!h->db_ok(res))
        glv_log(GLV_LOG_WARNING, "commands",
                "the answer of command %" PRId64 " cannot be recorded: %s", rp->id,
                h->db_error(res));
    if (rp->remote_origin) {
        const char *channel = h->db_ok(res) && h->db_rows(res) == 1 ? h->db_value(res, 0, 0) : NULL;
        char payload[32];
        snprintf(payload, sizeof(payload), "r:%" PRId64, rp->id);
        if (channel)
            h->db_notify(cs->self, channel, payload);
    } else {
        pending *pd = pending_find(cs, rp->id);
        if (pd && !pd->expiring && !pd->reading)
            deliver(pd, rp->result, rp->error);
    }
    json_decref(rp->result);
    json_decref(rp->error);
    free(rp);
}

static void host_command_reply(glv_command *cmd, json_t *result, json_t *error)
{
    if (!cmd) {
        json_decref(result);
        json_decref(error);
        return;
    }
    commands *cs = cmd->cs;
    if (error && !json_is_object(error)) {
        json_decref(error);
        error = error_new("failed", "the transport gave no error object");
    }
    if (error) {
        json_decref(result);
        result = NULL;
    } else if (!json_is_object(result)) {
        json_decref(result);
        result = json_object();
    }
    struct reply *rp = calloc(1, sizeof(*rp));
    char *rtext = result ? json_dumps(result, JSON_COMPACT) : NULL;
    char *etext = error ? json_dumps(error, JSON_COMPACT) : NULL;
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, cmd->id);
    const char *params[4] = {id, error ? "failed" : "succeeded", rtext, etext};
    int r = -ENOMEM;
    if (rp && (rtext || etext)) {
        rp->cs = cs;
        rp->id = cmd->id;
        rp->remote_origin = cmd->remote_origin;
        rp->result = result;
        rp->error = error;
        r = cs->self->core->host.db_query(cs->self, SQL_REPLY, 4, params, reply_done, rp);
    }
    free(rtext);
    free(etext);
    if (r < 0) {
        glv_log(GLV_LOG_WARNING, "commands", "the answer of command %" PRId64 " cannot be recorded",
                cmd->id);
        pending *pd = cmd->remote_origin ? NULL : pending_find(cs, cmd->id);
        if (pd && !pd->expiring)
            deliver(pd, result, error);
        json_decref(result);
        json_decref(error);
        free(rp);
    }
    command_free(cmd);
}

/* ---- host functions ---- */

static void send_done(const glv_db_result *res, void *arg)
{
    pending *pd = arg;
    commands *cs = pd->cs;
    const glv_host *h = &cs->self->core->host;
    if (!h->db_ok(res) || h->db_rows(res) != 1) {
        deliver_new(pd, NULL,
                    error_new("database", "command %s for %s cannot be recorded: %s", pd->command,
                              pd->identity, h->db_error(res) ? h->db_error(res) : "no row"));
        return;
    }
    int64_t id = strtoll(h->db_value(res, 0, 0), NULL, 10);
    const char *status = h->db_value(res, 0, 1);
    const char *transport = h->db_value(res, 0, 2);
    if (strcmp(status, "unknown") == 0 || strcmp(status, "offline") == 0) {
        const char *etext = h->db_value(res, 0, 3);
        json_t *err = etext ? json_loads(etext, 0, NULL) : NULL;
        deliver_new(pd, NULL,
                    err ? err : error_new(status, "charger %s: %s", pd->identity, status));
        return;
    }
    pd->id = id;
    pending_link(pd);
    pd->timer = h->timer_start(cs->self, pd->timeout_ms, 0, deadline, pd);
    if (!pd->timer) {
        deliver_new(pd, NULL, error_new("database", "out of memory"));
        return;
    }
    if (strcmp(status, "running") == 0) {
        glv_command *cmd = command_new(cs, id, pd->identity, pd->command, json_incref(pd->args), 0);
        if (!cmd) {
            deliver_new(pd, NULL, error_new("database", "out of memory"));
            return;
        }
        dispatch(cs, cmd, transport);
        return;
    }
    char head[32];
    snprintf(head, sizeof(head), "c:%" PRId64, id);
    char *payload = head;
    if (pd->redacted) {
        /* the other node needs the args as sent; the row holds them redacted */
        char *text = json_dumps(pd->args, JSON_COMPACT);
        size_t n = strlen(head) + 1 + (text ? strlen(text) : 0) + 1;
        payload = text && n <= NOTIFY_PAYLOAD_MAX ? malloc(n) : NULL;
        if (payload) {
            size_t hl = strlen(head);
            memcpy(payload, head, hl);
            payload[hl] = ':';
            memcpy(payload + hl + 1, text, n - hl - 1); /* with its NUL */
        }
        free(text);
        if (!payload) {
            deliver_new(pd, NULL, error_new("database", "out of memory"));
            return;
        }
    }
    const char *channel = h->db_value(res, 0, 4);
    int told = channel && h->db_notify(cs->self, channel, payload) == 0;
    if (payload != head)
        free(payload);
    if (!told)
        glv_log(GLV_LOG_WARNING, "commands",
                "command %" PRId64 " for %s: the node holding it "
                "cannot be told",
                id, pd->identity);
}

static int host_command_send(glv_plugin *p, const char *identity, const char *command, json_t *args,
                             uint32_t timeout_ms, glv_command_result_fn done, void *arg)
{
    if (!glv_charger_identity_ok(identity)) {
        json_decref(args);
        return glv_fail(p, -EINVAL, "command_send: bad charger identity");
    }
    if (!command || !*command || strlen(command) > COMMAND_NAME_MAX) {
        json_decref(args);
        return glv_fail(p, -EINVAL, "command_send: the command name must have 1 to %d bytes",
                        COMMAND_NAME_MAX);
    }
    if (args && !json_is_object(args)) {
        json_decref(args);
        return glv_fail(p, -EINVAL, "command_send: args must be an object");
    }
    if (timeout_ms > TIMEOUT_MAX_MS) {
        json_decref(args);
        return glv_fail(p, -EINVAL, "command_send: the timeout is at most %u ms", TIMEOUT_MAX_MS);
    }
    if (!p->core->db) {
        json_decref(args);
        return glv_fail(p, -ENOTCONN, "command_send: no database is configured");
    }
    commands *cs = commands_of(p->core);
    pending *pd = cs ? calloc(1, sizeof(*pd)) : NULL;
    if (pd) {
        pd->cs = cs;
        pd->p = p;
        pd->done = done;
        pd->arg = arg;
        pd->timeout_ms = timeout_ms ? timeout_ms : GLV_COMMAND_TIMEOUT_MS;
        pd->identity = strdup(identity);
        pd->command = strdup(command);
        pd->args = args ? args : json_object();
        args = NULL;
    }
    json_t *recorded = pd && pd->args ? redact(pd->args, &pd->redacted) : NULL;
    char *atext = recorded ? json_dumps(recorded, JSON_COMPACT) : NULL;
    json_decref(recorded);
    if (atext && pd->redacted) {
        /* such args travel to another node in a NOTIFY payload */
        char *full = json_dumps(pd->args, JSON_COMPACT);
        size_t n = full ? strlen(full) : 0;
        free(full);
        if (n == 0 || n + 32 > NOTIFY_PAYLOAD_MAX) {
            pending_free(pd);
            free(atext);
            return glv_fail(p, n ? -E2BIG : -ENOMEM,
                            "command_send: args with a password must be under %d bytes",
                            NOTIFY_PAYLOAD_MAX - 32);
        }
    }
    if (!pd || !pd->identity || !pd->command || !atext) {
        json_decref(args);
        if (pd)
            pending_free(pd);
        free(atext);
        return glv_fail(p, -ENOMEM, "command_send: out of memory");
    }
    glv_commands_listen(p->core);
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%u", (unsigned)pd->timeout_ms);
    const char *params[6] = {identity, command, atext, p->core->node_id, cs->channel, timeout};
    int r = p->core->host.db_query(p, SQL_SEND, 6, params, send_done, pd);
    free(atext);
    if (r < 0)
        pending_free(pd);
    return r;
}

static int host_command_handler(glv_plugin *p, const char *transport, glv_command_fn fn, void *arg)
{
    if (!transport || !*transport || strlen(transport) > 64 || !fn)
        return glv_fail(p, -EINVAL, "command_handler needs a transport name and a function");
    commands *cs = commands_of(p->core);
    if (!cs)
        return glv_fail(p, -ENOMEM, "command_handler: out of memory");
    handler *old = glv_strmap_get(cs->handlers, transport);
    if (old && old->p->state <= GLV_PLUGIN_STARTED)
        return glv_fail(p, -EEXIST, "command_handler: transport %s has a handler already (%s)",
                        transport, old->p->name);
    handler *hd = old ? old : calloc(1, sizeof(*hd));
    if (!hd)
        return glv_fail(p, -ENOMEM, "command_handler: out of memory");
    hd->p = p;
    hd->fn = fn;
    hd->arg = arg;
    if (!old && glv_strmap_put(cs->handlers, transport, hd) != 0) {
        free(hd);
        return glv_fail(p, -ENOMEM, "command_handler: out of memory");
    }
    glv_commands_listen(p->core);
    return 0;
}

void glv_commands_fill_host(glv_host *h)
{
    h->command_handler = host_command_handler;
    h->command_send = host_command_send;
    h->command_reply = host_command_reply;
}
