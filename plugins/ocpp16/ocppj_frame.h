/*
 * OCPP-J 1.6 RPC framing: parsing a WebSocket text message into a CALL,
 * CALLRESULT or CALLERROR, and writing them back compactly. No I/O; the
 * parser checks the envelope and the action name, the payload is checked
 * against its schema with glv_ocpp16_validate().
 *
 *   CALL        [2, "<id>", "<Action>", {payload}]
 *   CALLRESULT  [3, "<id>", {payload}]
 *   CALLERROR   [4, "<id>", "<errorCode>", "<errorDescription>", {errorDetails}]
 *
 * Error codes chosen for malformed input (see docs/OCPP16.md):
 *   FormationViolation  not JSON (or duplicate keys), not an array, wrong
 *                       element count, an element of the wrong JSON type,
 *                       unknown message type number, payload not an object
 *   ProtocolError       a well-formed frame whose message id is empty or
 *                       longer than 36 characters
 *   NotImplemented      CALL of an action OCPP 1.6 does not define
 *   NotSupported        CALL of an action the peer's role never sends
 *                       (e.g. a charge point sending Reset)
 */
#ifndef GLV_OCPPJ_FRAME_H
#define GLV_OCPPJ_FRAME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ocpp16_error.h"
#include "ocpp16_schema.h"
#include "ocpp16_text.h"
#include "ocpp16_validate.h"

/* Longest message id OCPP-J allows, in characters. */
#define GLV_OCPPJ_ID_MAX 36
/* Longest errorDescription written; longer ones are cut at a character boundary. */
#define GLV_OCPPJ_DESCRIPTION_MAX 255

enum glv_ocppj_type {
    GLV_OCPPJ_UNKNOWN = 0,
    GLV_OCPPJ_CALL = 2,
    GLV_OCPPJ_CALLRESULT = 3,
    GLV_OCPPJ_CALLERROR = 4,
};

/*
 * A parsed message. Every pointer is borrowed from root and valid until
 * glv_ocppj_frame_clear(). Fields a message type does not have are NULL.
 */
struct glv_ocppj_frame {
    enum glv_ocppj_type type;
    const char *id; /* message id (NUL-terminated) */
    size_t id_len;  /* in bytes */
    /* CALL */
    const char *action;
    const struct glv_ocpp16_action *action_def; /* static, set when known */
    /* CALL and CALLRESULT: the payload; CALLERROR: errorDetails (NULL when a
     * lenient parse accepted a CALLERROR without details) */
    json_t *payload;
    /* CALLERROR */
    enum glv_ocpp16_error error_code; /* GenericError for an unknown name */
    const char *error_code_name;      /* as received */
    const char *error_description;
    json_t *root; /* new: the whole message, released by glv_ocppj_frame_clear */
};

/* Why a message was refused. */
struct glv_ocppj_parse_error {
    enum glv_ocpp16_error code;
    /* true when a CALLERROR carrying frame->id should be sent back: the
     * message was not a CALLRESULT/CALLERROR and its id is a string of 1 to
     * 36 characters (an id a conforming CALLERROR can carry) */
    bool can_reply;
    char description[GLV_OCPP16_DESCRIPTION_MAX]; /* printable ASCII */
};

/*
 * Parses one message. text is borrowed (len bytes, no NUL needed). peer is
 * the sender's role, GLV_OCPP16_FROM_CHARGER on the central system side and
 * GLV_OCPP16_FROM_CSMS in a charge point. opts may be NULL (strict); in
 * lenient mode a CALLERROR with its errorDetails missing or null is accepted
 * and reported through opts->warn.
 *
 * Returns 0 with *frame filled, or -EINVAL with *err filled; in both cases
 * *frame may hold a reference, so always call glv_ocppj_frame_clear(frame)
 * afterwards. On failure frame->type and frame->id are set when they could
 * be read. err may be NULL.
 */
int glv_ocppj_parse(const char *text, size_t len, unsigned peer,
                    const struct glv_ocpp16_validate_opts *opts, struct glv_ocppj_frame *frame,
                    struct glv_ocppj_parse_error *err);

/* Releases frame->root and zeroes *frame. Safe on a zeroed frame. */
void glv_ocppj_frame_clear(struct glv_ocppj_frame *frame);

/*
 * Writers. Each replaces the text of *out (its buffer kept and reused; free
 * it with glv_ocpp16_text_free) with the frame as compact JSON and returns
 * 0; or returns -EINVAL for bad arguments (*out then untouched) or -ENOMEM
 * (*out failed). All inputs are borrowed; strings must be UTF-8.
 *
 * glv_ocppj_write_call: id must be 1..36 characters; payload an object.
 * glv_ocppj_write_result: id as received; payload an object.
 * glv_ocppj_write_error: id as received; code not GLV_OCPP16_OK; description
 * may be NULL (written as ""); details NULL or an object (NULL writes {}).
 */
int glv_ocppj_write_call(struct glv_ocpp16_text *out, const char *id, const char *action,
                         json_t *payload);
int glv_ocppj_write_result(struct glv_ocpp16_text *out, const char *id, json_t *payload);
int glv_ocppj_write_error(struct glv_ocpp16_text *out, const char *id, enum glv_ocpp16_error code,
                          const char *description, json_t *details);

#endif
