/*
 * The ocpp16 transport plugin: state shared by its files. One instance per
 * process (a plugin is loaded once), reached through glv_ocpp16.
 *
 *   ocpp16_plugin.c        descriptor, configuration, lifecycle, events
 *   ocpp16_upgrade.c       WebSocket upgrade: security profiles 0-3,
 *                          unknown-charger policy
 *   ocpp16_conn.c          one charger connection: OCPP-J RPC (queues,
 *                          correlation, timeouts), liveness, the table of
 *                          connections by identity
 *   ocpp16_charger_calls.c CALLs from the charger that need no storage
 *   ocpp16_transactions.c  StartTransaction, StopTransaction, MeterValues:
 *                          stored with group commit before the answer
 *   ocpp16_authorize.c     the token.authorize filter chain -> idTagInfo
 *   ocpp16_commands.c      command requests -> CALLs to the charger
 *   ocpp16_events.c        the neutral event envelope
 */
#ifndef GLV_OCPP16_PLUGIN_H
#define GLV_OCPP16_PLUGIN_H

#include <galvani/galvani.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ocpp16_conn.h"

#define GLV_OCPP16_TRANSPORT "ocpp16"

struct glv_ocpp16_settings {
    json_t *listeners;              /* new: {listener name: security profile} */
    bool unknown_pending;           /* unknown_chargers: pending */
    uint32_t call_timeout_ms;       /* outbound CALL deadline */
    uint32_t heartbeat_s;           /* interval given in BootNotification.conf */
    uint32_t boot_retry_s;          /* interval given with Pending / Rejected */
    uint32_t authorize_timeout_ms;  /* token.authorize chain deadline */
    const char *authorize_fallback; /* static: "Accepted" or "Invalid" */
    uint32_t data_transfer_timeout_ms;
    uint32_t max_queue; /* inbound CALLs waiting per connection */
};

struct glv_ocpp16_state {
    const glv_host *host;
    glv_plugin *p;
    struct glv_ocpp16_settings cfg;
    struct glv_ocpp16_conn_table conns;
    bool stopping;
    glv_metric *m_connections; /* gauge */
    glv_metric *m_calls_in;    /* counter: CALLs from chargers */
    glv_metric *m_calls_out;   /* counter: CALLs to chargers */
    glv_metric *m_errors_in;   /* counter: CALLERRORs we answered */
    glv_metric *m_quirks;      /* counter: lenient quirks accepted */
    glv_metric *m_timeouts;    /* counter: chargers closed for silence */
    glv_metric *m_commit;      /* histogram: transaction message to answer */
};

extern struct glv_ocpp16_state glv_ocpp16;

#define OCPP16_HOST (glv_ocpp16.host)
#define OCPP16_LOG(prio, ...) glv_ocpp16.host->log(glv_ocpp16.p, prio, __VA_ARGS__)

/* ocpp16_upgrade.c: the on_upgrade handler. */
void glv_ocpp16_on_upgrade(glv_ws_upgrade *up, void *arg);

/* ocpp16_charger_calls.c / ocpp16_transactions.c: handlers of CALLs from a
 * charger; each answers req exactly once (glv_ocpp16_reply*). */
typedef void (*glv_ocpp16_handler_fn)(struct glv_ocpp16_request *req);
/* The handler of a charger-to-CSMS action, NULL when we have none. */
glv_ocpp16_handler_fn glv_ocpp16_handler_find(const char *action);
void glv_ocpp16_start_transaction(struct glv_ocpp16_request *req);
void glv_ocpp16_stop_transaction(struct glv_ocpp16_request *req);
void glv_ocpp16_meter_values(struct glv_ocpp16_request *req);

/* ocpp16_authorize.c: runs token.authorize for an idTag and gives the
 * idTagInfo to answer with (new object, stolen by done). connector_id < 0:
 * none. conn is borrowed and kept alive until done has run. */
typedef void (*glv_ocpp16_auth_fn)(json_t *id_tag_info, void *arg);
void glv_ocpp16_authorize(struct glv_ocpp16_conn *conn, const char *id_tag, int64_t connector_id,
                          glv_ocpp16_auth_fn done, void *arg);

/* ocpp16_commands.c: the command handler registered with the core. */
void glv_ocpp16_command(glv_command *cmd, const char *identity, const char *command,
                        const json_t *args, void *arg);

/* ocpp16_events.c: a new event payload {"charger", "transport", "node",
 * "timestamp"} (timestamp: now, or at_ms when >= 0) for conn's charger. */
json_t *glv_ocpp16_event_new(const char *identity, int64_t at_ms);
/* Emits a notification (payload stolen) and logs a failure. */
void glv_ocpp16_emit(const char *event, json_t *payload);
/* Whether event has a listener (true when the host cannot tell): a payload
 * nobody reads need not be built. */
bool glv_ocpp16_listened(const char *event);
/* The neutral EVSE status of a 1.6 ChargePointStatus (static string). */
const char *glv_ocpp16_neutral_status(const char *status);

#endif
