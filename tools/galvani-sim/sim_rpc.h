/* OCPP-J RPC for one charger: [2,id,action,payload] calls out of a FIFO
 * with one call in flight, [3,id,payload] / [4,id,code,desc,details]
 * answers, timeouts, and dispatch of calls from the CSMS. Transaction
 * messages survive a lost connection and are resent unchanged. */
#ifndef SIM_RPC_H
#define SIM_RPC_H

#include "sim_charger.h"

struct sim_event;

/* Builds a call from an event and appends it. NULL when the protocol cannot
 * build it or out of memory. */
struct sim_msg *sim_rpc_enqueue(struct sim_charger *c, enum sim_msg_kind kind,
                                const struct sim_event *ev, uint32_t tx_ref);
/* Sends the head of the queue when the link allows it. */
void sim_rpc_pump(struct sim_charger *c);
/* A complete text message from the CSMS. */
void sim_rpc_on_text(struct sim_charger *c, const char *data, size_t len);
/* The link went down: the call in flight and the queued transaction
 * messages stay for the next connection, everything else is discarded. */
void sim_rpc_on_link_down(struct sim_charger *c);
/* The call in flight got no answer in time. */
void sim_rpc_on_timeout(struct sim_charger *c);
/* Sends a text frame as is (scenario send-raw). */
int sim_rpc_send_raw(struct sim_charger *c, const char *text);
/* Frees every queued message. */
void sim_rpc_clear(struct sim_charger *c);
bool sim_rpc_is_transactional(enum sim_msg_kind kind);
/* Fills in the transaction id of queued messages of a local transaction. */
void sim_rpc_set_transaction_id(struct sim_charger *c, uint32_t tx_ref, int32_t transaction_id);
/* Number of queued messages (in flight included). */
unsigned sim_rpc_queued(const struct sim_charger *c);

#endif
