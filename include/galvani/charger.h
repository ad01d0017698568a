/*
 * galvani — the charger registry and charger commands.
 *
 * The registry is one for all transports: a charger's identity, credentials,
 * security profile and status are kept by the core, so a charger moves from
 * one OCPP version to another without being provisioned again. The registry
 * also records which galvanid process (node) and which transport hold a
 * charger's connection; several processes share one database.
 *
 * A charger record, as handed to a glv_charger_fn, is a JSON object:
 *
 *   identity          string   the charge box id (also the Basic-auth user)
 *   status            string   "accepted" | "pending" | "rejected"
 *   security_profile  integer  0 … 3
 *   password_hash     string or null: the host's password hash; only
 *                              transports read it (host->password_verify)
 *   lenient           bool     accept payloads with recoverable defects
 *   connectors        integer  number of connectors (0: not known yet)
 *   vendor, model, serial, firmware   string or null (from BootNotification)
 *   transport         string or null: transport holding the connection
 *   node              string or null: node holding the connection
 *   connected_at      string or null: ISO 8601 UTC
 *   last_seen         string or null: ISO 8601 UTC
 *   created_at        string   ISO 8601 UTC
 *
 * transport and node are null while the charger is offline.
 *
 * Commands are version-neutral requests to a charger ("reset", "unlock" …;
 * see docs/CHARGERS.md). host->command_send finds the node holding the
 * charger; the transport there runs the command through its registered
 * glv_command_fn and answers with host->command_reply. Every command is
 * recorded in the database with its outcome (the audit trail of remote
 * commands). Error objects always carry "code" and "message":
 *
 *   "unknown"     no charger with that identity
 *   "offline"     the charger holds no connection
 *   "timeout"     no answer within the command's deadline
 *   "unsupported" the transport holding the charger has no command handler
 *                 on its node
 *   "database"    the registry could not be read or written
 *   anything else a transport's own code (documented by the transport)
 */
#ifndef GALVANI_CHARGER_H
#define GALVANI_CHARGER_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Charger status values. */
#define GLV_CHARGER_ACCEPTED "accepted"
#define GLV_CHARGER_PENDING "pending"
#define GLV_CHARGER_REJECTED "rejected"

/* Default deadline of a command when command_send is given 0. */
#define GLV_COMMAND_TIMEOUT_MS 30000u

/* Result of a registry call, run once on the loop thread (never before the
 * call that started it returned).
 * charger: borrowed, valid during the call; the record described above, or
 *          NULL (unknown charger or error).
 * error:   borrowed, NULL on success; {"code", "message"} otherwise.
 * charger_lookup reports an unknown identity as charger == NULL and
 * error == NULL; the other calls report it as error code "unknown". */
typedef void (*glv_charger_fn)(const json_t *charger, const json_t *error, void *arg);

/* A command being run by a transport: valid from the glv_command_fn call
 * until the transport's command_reply. */
typedef struct glv_command glv_command;

/* A transport's command handler, on the loop thread of the node that holds
 * the charger. identity, command: borrowed, valid until command_reply.
 * args: borrowed, valid until command_reply (an object, possibly empty).
 * The handler answers exactly once through host->command_reply, at once or
 * later. */
typedef void (*glv_command_fn)(glv_command *cmd, const char *identity, const char *command,
                               const json_t *args, void *arg);

/* Outcome of command_send, run once on the loop thread of the sender (never
 * before command_send returned). result: borrowed, the transport's result
 * object (NULL on error). error: borrowed, NULL on success, otherwise
 * {"code", "message", …}. */
typedef void (*glv_command_result_fn)(const json_t *result, const json_t *error, void *arg);

#ifdef __cplusplus
}
#endif
#endif
