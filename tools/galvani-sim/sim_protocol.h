/* One OCPP version as seen by the simulator: how each kind of charger
 * message is named and built, how answers are read, and how calls from the
 * CSMS are answered. OCPP 1.6-J is sim_ocpp16_*; a 2.0.1 module provides
 * the same table. */
#ifndef SIM_PROTOCOL_H
#define SIM_PROTOCOL_H

#include "sim_charger.h"
#include "sim_jsonw.h"

#include <jansson.h>

/* How much a payload may grow when its transaction id is filled in. */
#define SIM_TX_ID_ROOM 32

/* What a charger message carries, filled by the behaviour layer. */
struct sim_event {
    int connector;
    const char *text;  /* status, id tag, reason, vendor id, event type... */
    const char *text2; /* error code, message id, data... */
    const char *text3;
    int32_t transaction_id;
    int32_t request_id;
    int32_t reservation_id;
    double meter_wh;
    int64_t wall_ms;
    const struct sim_sample *sample;
};

/* What the behaviour layer needs from an answer. */
struct sim_answer {
    const char *status; /* borrowed from the payload; NULL when absent */
    int interval_s;     /* BootNotification; -1 when absent */
    int32_t transaction_id;
};

struct sim_protocol {
    const char *name;
    const char *subprotocol;
    const char *(*action)(enum sim_msg_kind kind);
    const char *(*status_name)(enum sim_status st);
    /* Writes the payload of a message (a JSON object) as text; -1 when the
     * event lacks what the message needs. */
    int (*build)(const struct sim_charger *c, enum sim_msg_kind kind, const struct sim_event *ev,
                 struct sim_jw *w);
    /* payload may be NULL (an answer without fields). */
    void (*read_answer)(enum sim_msg_kind kind, json_t *payload, struct sim_answer *out);
    /* Fills in the CSMS transaction id in the payload text of a queued
     * message built before it was known. The text may grow by up to
     * SIM_TX_ID_ROOM bytes; returns its new length. */
    size_t (*set_transaction_id)(enum sim_msg_kind kind, char *payload, size_t len,
                                 int32_t transaction_id);
    /* Answers a CSMS-initiated call. Returns a new result payload, or NULL
     * with *code and *description set for a CALLERROR. Follow-up messages
     * may be queued; they are sent after the answer. */
    json_t *(*answer_call)(struct sim_charger *c, const char *action, json_t *payload,
                           const char **code, const char **description);
};

extern const struct sim_protocol sim_ocpp16_protocol;

#endif
