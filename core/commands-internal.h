/*
 * galvani core — private. Charger commands: host->command_handler,
 * command_send and command_reply, routed to the node that holds a charger
 * through the table glv_charger_commands and LISTEN/NOTIFY (sql/002,
 * docs/CHARGERS.md).
 */
#ifndef GLV_COMMANDS_INTERNAL_H
#define GLV_COMMANDS_INTERNAL_H

#include "core-internal.h"

/* Size of a node's channel name, with its NUL. */
#define GLV_COMMANDS_CHANNEL_MAX 32

/* The NOTIFY channel of node_id: "glv_node_" and 16 hex digits of a hash of
 * the node id (node ids may be longer than a channel name allows). */
void glv_commands_channel(const char *node_id, char out[GLV_COMMANDS_CHANNEL_MAX]);

/* LISTENs on this node's channel once (a no-op without a database or when
 * already listening). 0 or a negative errno. */
int glv_commands_listen(glv_core *core);

#endif
