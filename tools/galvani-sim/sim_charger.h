/* One simulated charger: its connection, outgoing call queue, connectors and
 * behaviour. The fleet holds what all chargers of the process share. */
#ifndef SIM_CHARGER_H
#define SIM_CHARGER_H

#include "sim_meter.h"
#include "sim_options.h"
#include "sim_stats.h"
#include "sim_ws.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum sim_status {
    SIM_ST_AVAILABLE,
    SIM_ST_PREPARING,
    SIM_ST_CHARGING,
    SIM_ST_SUSPENDED_EVSE,
    SIM_ST_SUSPENDED_EV,
    SIM_ST_FINISHING,
    SIM_ST_RESERVED,
    SIM_ST_UNAVAILABLE,
    SIM_ST_FAULTED,
};

/* What a charger sends, independent of the OCPP version. */
enum sim_msg_kind {
    SIM_MSG_BOOT,
    SIM_MSG_HEARTBEAT,
    SIM_MSG_STATUS,
    SIM_MSG_AUTHORIZE,
    SIM_MSG_TX_START,
    SIM_MSG_TX_METER,
    SIM_MSG_TX_STOP,
    SIM_MSG_DATA_TRANSFER,
    SIM_MSG_FIRMWARE_STATUS,
    SIM_MSG_DIAGNOSTICS_STATUS,
    SIM_MSG_SIGNED_FIRMWARE_STATUS,
    SIM_MSG_LOG_STATUS,
    SIM_MSG_SECURITY_EVENT,
    SIM_MSG_SIGN_CERTIFICATE,
};
#define SIM_MSG_KINDS (SIM_MSG_SIGN_CERTIFICATE + 1)

enum sim_boot {
    SIM_BOOT_NONE,
    SIM_BOOT_SENT,
    SIM_BOOT_PENDING,
    SIM_BOOT_ACCEPTED,
    SIM_BOOT_REJECTED
};
enum sim_link { SIM_LINK_DOWN, SIM_LINK_CONNECTING, SIM_LINK_UP };

/* A queued outgoing call, kept as the frame text built when the event
 * happened: every send of it, resends included, is the same bytes. */
struct sim_msg {
    struct sim_msg *next;
    char *expect; /* scenario: the answer status that must come back */
    uint32_t id;  /* message id, unique per charger */
    uint32_t tx_ref;
    uint32_t len;        /* of frame */
    uint32_t room;       /* bytes allocated for frame */
    uint16_t payload_at; /* where the payload starts in frame */
    uint16_t line;       /* scenario line that caused it, 0 if none */
    uint8_t kind;
    uint8_t attempts;
    uint8_t connector;
    char frame[]; /* [2,"<id>","<action>",<payload>] */
};

struct sim_connector {
    struct sim_meter meter;
    uint64_t next_meter_ms;
    uint64_t last_sample_ms;
    uint64_t tx_end_ms;
    int32_t transaction_id; /* 0 until the StartTransaction answer */
    uint32_t tx_ref;        /* local transaction number, 0 = none */
    int32_t reservation_id; /* -1 = none */
    uint32_t meter_every_ms;
    uint16_t meter_left;   /* samples still to send; UINT16_MAX = until stop */
    uint16_t meter_unsent; /* its MeterValues in the queue, not yet sent */
    uint8_t status;
    uint8_t inoperative;
    uint8_t inoperative_scheduled;
    char id_tag[21];
};

struct sim_config_entry;
struct sim_fleet;

struct sim_charger {
    struct sim_ws ws;
    struct event tick;
    struct sim_fleet *fleet;
    struct sim_msg *head;
    struct sim_msg *tail;
    struct sim_connector *connectors; /* [1..n], index 0 unused */
    struct sim_config_entry *config;  /* keys changed by the CSMS */
    char *password;                   /* AuthorizationKey set by the CSMS */
    uint64_t call_sent_us;
    uint64_t due_heartbeat_ms;
    uint64_t due_retry_ms; /* boot retry or reconnect */
    uint64_t due_call_ms;  /* timeout of the call in flight */
    uint64_t due_reboot_ms;
    uint64_t armed_ms; /* when the tick timer fires, 0 = not armed */
    uint32_t index;
    uint32_t next_msg_id;
    uint32_t next_tx_ref;
    uint32_t hb_interval_s;
    uint32_t meter_interval_s;
    uint32_t backoff_ms;
    int32_t local_list_version;
    float profile_limit_w;
    uint8_t link;
    uint8_t boot;
    uint8_t in_flight; /* head has been sent and waits for its answer */
    uint8_t answering; /* handling a CSMS call: hold sends until answered */
    uint8_t security_profile;
    uint8_t certificates;
    uint8_t reboot_phase; /* 0 none, 1 closing, 2 reconnecting */
    uint8_t lost;         /* scripted: the connection died under it; reconnecting */
};

/* Reports to the scenario runner (NULL members are skipped). */
struct sim_observer {
    void (*link_up)(void *arg, struct sim_charger *c);
    void (*link_down)(void *arg, struct sim_charger *c, const char *why);
    void (*answered)(void *arg, struct sim_charger *c, const struct sim_msg *m, const char *action,
                     json_t *payload, const char *error_code, uint64_t latency_us);
    void (*deferred)(void *arg, struct sim_charger *c, const struct sim_msg *m);
    void (*discarded)(void *arg, struct sim_charger *c, const struct sim_msg *m, const char *why);
    void (*call_received)(void *arg, struct sim_charger *c, const char *action, json_t *payload);
    void (*error_received)(void *arg, struct sim_charger *c, const char *id, const char *code,
                           const char *description);
    void (*frame)(void *arg, struct sim_charger *c, int outgoing, const char *text, size_t len);
};

struct sim_protocol;

struct sim_fleet {
    struct event_base *base;
    const struct sim_options *opts;
    const struct sim_protocol *proto;
    SSL_CTX *ssl_ctx;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct sim_charger *chargers;
    unsigned count;
    unsigned started;
    unsigned sessions; /* connectors in a transaction, fleet-wide */
    struct sim_stats stats;
    struct sim_action_stats *kind_stats[SIM_MSG_KINDS]; /* entries of stats, by kind */
    struct sim_meter_model meter_model;
    uint64_t t0_us;
    uint64_t latency_from_us; /* calls sent before this get no latency sample */
    const struct sim_observer *observer;
    void *observer_arg;
    char drop_after_action[48]; /* scenario: drop the link once this call is written */
    bool autonomous;            /* boots, heartbeats and reconnects by itself */
    bool stopping;
};

/* Time since the fleet started. */
uint64_t sim_now_us(const struct sim_fleet *f);
uint64_t sim_now_ms(const struct sim_fleet *f);
/* Wall clock in milliseconds since the epoch (for timestamps). */
int64_t sim_wall_ms(void);

void sim_charger_init(struct sim_charger *c, struct sim_fleet *f, uint32_t index);
void sim_charger_free(struct sim_charger *c);
/* Writes the charge point identity (NUL-terminated) into buf. */
void sim_charger_identity(const struct sim_charger *c, char *buf, size_t size);
unsigned sim_charger_connector_count(const struct sim_charger *c);

/* Link. */
int sim_charger_connect(struct sim_charger *c);
void sim_charger_drop(struct sim_charger *c);  /* TCP gone, no close frame */
void sim_charger_close(struct sim_charger *c); /* WebSocket close */
void sim_charger_reboot(struct sim_charger *c, bool hard);
void sim_charger_schedule(struct sim_charger *c); /* re-arms the timer */
/* Something falls due at due_ms: the timer fires by then. */
void sim_charger_due(struct sim_charger *c, uint64_t due_ms);

/* Sends a message of a kind built by the protocol module. connector and
 * text depend on the kind (status name, id tag, reason, vendor id...). */
struct sim_msg *sim_charger_send(struct sim_charger *c, enum sim_msg_kind kind, int connector,
                                 const char *text, const char *text2);
void sim_charger_set_status(struct sim_charger *c, int connector, enum sim_status st);
void sim_charger_send_all_status(struct sim_charger *c);
/* Starts a transaction: Preparing, StartTransaction, Charging. meter_wh < 0
 * keeps the register. Returns the StartTransaction message or NULL when the
 * connector is busy or unknown. */
struct sim_msg *sim_charger_tx_start(struct sim_charger *c, int connector, const char *id_tag,
                                     double meter_wh);
/* Ends the transaction on a connector: StopTransaction, Finishing,
 * Available. meter_wh < 0 uses the model. NULL when there is none. */
struct sim_msg *sim_charger_tx_stop(struct sim_charger *c, int connector, const char *reason,
                                    double meter_wh);
/* Samples the meter and sends MeterValues (during a transaction or not). */
struct sim_msg *sim_charger_meter_now(struct sim_charger *c, int connector);
/* The connector with this CSMS transaction id, 0 if none. */
int sim_charger_find_tx(const struct sim_charger *c, int32_t transaction_id);
/* Called by the call layer when an answer to one of our calls came back. */
void sim_charger_on_answer(struct sim_charger *c, struct sim_msg *m, json_t *payload);

#endif
