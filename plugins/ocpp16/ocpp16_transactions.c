/*
 * StartTransaction, StopTransaction and MeterValues. Each StartTransaction
 * and StopTransaction is one SQL statement through group commit; the
 * MeterValues of one loop turn share one statement (see below). A charger
 * is answered only from the statement's callback, after COMMIT: nothing
 * acknowledged is lost.
 *
 * Resends are recognized by unique keys (migration 001): a StartTransaction
 * with the same charger, connector, idTag, meterStart and timestamp finds
 * the transaction it created the first time and gets the same transactionId
 * and idTagInfo; a resent StopTransaction finds the transaction already
 * stopped and gets the idTagInfo stored with the first; resent meter values
 * hit the key of their readings (migration 002). Events are emitted only for what was stored the
 * first time, so listeners never count twice either.
 */
#include "ocpp16_fields.h"
#include "ocpp16_meter.h"
#include "ocpp16_meter_rows.h"
#include "ocpp16_plugin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_START[] =
    "WITH ins AS ("
    " INSERT INTO ocpp16_transactions (charger, connector_id, id_tag, meter_start, started_at,"
    " reservation_id, id_tag_info)"
    " VALUES ($1, $2::integer, $3, $4::bigint, $5::timestamptz, $6::integer, $7::jsonb)"
    " ON CONFLICT ON CONSTRAINT ocpp16_transactions_start_key DO NOTHING"
    " RETURNING transaction_id, id_tag_info)"
    " SELECT transaction_id, id_tag_info::text, true FROM ins"
    " UNION ALL"
    " SELECT transaction_id, id_tag_info::text, false FROM ocpp16_transactions"
    " WHERE charger = $1 AND connector_id = $2::integer AND id_tag = $3"
    " AND meter_start = $4::bigint AND started_at = $5::timestamptz"
    " AND NOT EXISTS (SELECT 1 FROM ins)";

/* The readings of a statement (ocpp16_meter_rows.h) from the seven
 * parameters named a to g. */
#define SQL_READING_ROWS(a, b, c, d, e, f, g)                                                      \
    " ROWS FROM (unnest(" a "::integer[]), unnest(" b "::integer[]), unnest(" c "::text[]),"       \
    " unnest(" d "::integer[]), unnest(" e "::timestamptz[]), unnest(" f "::double precision[]),"  \
    " json_array_elements(" g "::json))"                                                           \
    " AS x(i, t, c, n, \"timestamp\", energy_wh, samples)"

/* Stores the readings of `src`, which has the columns of SQL_READING_ROWS.
 * A reading already stored gets the sampled values it does not hold yet;
 * one that holds them all is left alone and not returned. */
#define SQL_STORE_READINGS(src)                                                                    \
    " INSERT INTO ocpp16_meter_readings AS o (transaction_id, charger, connector_id, sampled_at,"  \
    " energy_wh, samples)"                                                                         \
    " SELECT t, c, n, \"timestamp\", energy_wh, samples FROM " src                                 \
    " ON CONFLICT (transaction_id, charger, connector_id, sampled_at) DO UPDATE"                   \
    " SET samples = (o.samples::jsonb || (SELECT jsonb_agg(s)"                                     \
    " FROM jsonb_array_elements(excluded.samples::jsonb) s"                                        \
    " WHERE NOT o.samples::jsonb @> jsonb_build_array(s)))::json,"                                 \
    " energy_wh = coalesce(o.energy_wh, excluded.energy_wh)"                                       \
    " WHERE NOT o.samples::jsonb @> excluded.samples::jsonb"                                       \
    " RETURNING transaction_id, charger, connector_id, sampled_at"

/* clang-format off: the statement reads better as SQL than as the
 * formatter would lay out its macro calls. */
// clang-format off
static const char SQL_STOP[] =
    "WITH x AS (SELECT * FROM" SQL_READING_ROWS("$8", "$9", "$10", "$11", "$12", "$13", "$14") "),"
    " known AS ("
    " SELECT connector_id, id_tag, meter_start, started_at, stopped_at, stop_id_tag_info"
    " FROM ocpp16_transactions WHERE transaction_id = $2::integer AND charger = $1),"
    " upd AS ("
    " UPDATE ocpp16_transactions SET meter_stop = $3::bigint, stopped_at = $4::timestamptz,"
    " stop_reason = $5, stop_id_tag = $6, stop_id_tag_info = $7::jsonb, stop_received_at = now()"
    " WHERE transaction_id = $2::integer AND charger = $1 AND stopped_at IS NULL RETURNING 1),"
    " orphan AS ("
    " INSERT INTO ocpp16_unknown_stops (charger, transaction_id, meter_stop, stopped_at, reason,"
    " id_tag, id_tag_info, transaction_data)"
    " SELECT $1, $2::integer, $3::bigint, $4::timestamptz, $5, $6, $7::jsonb,"
    " (SELECT coalesce(jsonb_agg(jsonb_build_object('timestamp', \"timestamp\", 'energy_wh',"
    " energy_wh, 'samples', samples) ORDER BY \"timestamp\"), '[]') FROM x)"
    " WHERE NOT EXISTS (SELECT 1 FROM known)"
    " ON CONFLICT ON CONSTRAINT ocpp16_unknown_stops_key DO NOTHING RETURNING 1),"
    " mv AS (" SQL_STORE_READINGS(
        "(SELECT t, c, coalesce((SELECT connector_id FROM known), 0) AS n, \"timestamp\","
        " energy_wh, samples FROM x) y") ")"
    " SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN 'stopped'"
    " WHEN EXISTS (SELECT 1 FROM known WHERE stopped_at IS NULL) THEN 'concurrent'"
    " WHEN EXISTS (SELECT 1 FROM known) THEN 'resent'"
    " WHEN EXISTS (SELECT 1 FROM orphan) THEN 'unknown' ELSE 'unknown_resent' END,"
    " (SELECT stop_id_tag_info::text FROM known), (SELECT connector_id FROM known),"
    " (SELECT id_tag FROM known), (SELECT meter_start FROM known),"
    " (SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    " FROM known), (SELECT count(*) FROM mv)";
// clang-format on

/* One transaction message on its way to the database. */
struct tx_msg {
    struct glv_ocpp16_request *req;
    json_t *info;                         /* new: idTagInfo from token.authorize, or NULL */
    struct glv_ocpp16_readings *readings; /* owned: the meter values */
    int64_t connector, tx_id, meter, at_ms;
    char at[25];
    int attempts;
};

static struct tx_msg *tx_msg_new(struct glv_ocpp16_request *req)
{
    struct tx_msg *m = calloc(1, sizeof *m);
    if (m != NULL)
        m->req = req;
    return m;
}

static void tx_msg_free(struct tx_msg *m)
{
    json_decref(m->info);
    free(m->readings);
    free(m);
}

static void observe_commit(struct glv_ocpp16_request *req)
{
    uint64_t now = OCPP16_HOST->monotonic_ms();
    OCPP16_HOST->metric_observe(glv_ocpp16.m_commit, (double)(now - req->received_ms) / 1000.0);
}

static void db_failed_req(struct glv_ocpp16_request *req, const glv_db_result *res)
{
    OCPP16_LOG(GLV_LOG_ERR, "%s: %s not stored: %s", req->conn->identity, req->action->name,
               OCPP16_HOST->db_error(res));
    /* A CALLERROR: the charger keeps the message and tries again
     * (TransactionMessageAttempts); a resend is recognized. */
    glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
}

static void db_failed(struct tx_msg *m, const glv_db_result *res)
{
    db_failed_req(m->req, res);
    tx_msg_free(m);
}

/* ---- StartTransaction ---- */

static void start_run(struct tx_msg *m);

static void start_stored(const glv_db_result *res, void *arg)
{
    struct tx_msg *m = arg;
    const glv_host *h = OCPP16_HOST;
    if (!h->db_ok(res)) {
        db_failed(m, res);
        return;
    }
    if (h->db_rows(res) == 0 && m->attempts < 3) {
        /* A concurrent first copy committed after our snapshot: read again. */
        start_run(m);
        return;
    }
    if (h->db_rows(res) == 0) {
        glv_ocpp16_reply_error(m->req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
        tx_msg_free(m);
        return;
    }
    struct glv_ocpp16_request *req = m->req;
    const char *id = h->db_value(res, 0, 0);
    json_t *stored = json_loads(h->db_value(res, 0, 1), 0, NULL);
    bool fresh = strcmp(h->db_value(res, 0, 2), "t") == 0;
    int64_t tx_id = strtoll(id, NULL, 10);
    const char *tag = glv_ocpp16_field_str(req->payload, "idTag");
    const char *status = glv_ocpp16_field_str(stored, "status");

    json_t *ev = NULL;
    if (fresh) {
        ev = glv_ocpp16_event_new(req->conn->identity, m->at_ms);
        json_object_set_new(ev, "transaction_id", json_string(id));
        json_object_set_new(ev, "evse_id", json_integer(m->connector));
        json_object_set_new(ev, "connector_id", json_integer(1));
        json_object_set_new(ev, "id_token", json_string(tag));
        json_object_set_new(ev, "token_type", json_string("RFID"));
        json_object_set_new(ev, "id_token_status", json_string(status ? status : "Invalid"));
        json_object_set_new(ev, "meter_start_wh", json_integer(m->meter));
        int64_t reservation;
        if (glv_ocpp16_field_int(req->payload, "reservationId", &reservation))
            json_object_set_new(ev, "reservation_id", json_integer(reservation));
    } else {
        OCPP16_LOG(GLV_LOG_INFO, "%s: StartTransaction resent; transaction %s again",
                   req->conn->identity, id);
    }
    observe_commit(req);
    glv_ocpp16_reply(req, json_pack("{s:I, s:o}", "transactionId", (json_int_t)tx_id, "idTagInfo",
                                    stored ? stored : json_pack("{s:s}", "status", "Invalid")));
    if (ev != NULL)
        glv_ocpp16_emit("transaction.started", ev);
    tx_msg_free(m);
}

static void start_run(struct tx_msg *m)
{
    struct glv_ocpp16_request *req = m->req;
    char connector[24], meter[24], reservation[24];
    snprintf(connector, sizeof connector, "%" PRId64, m->connector);
    snprintf(meter, sizeof meter, "%" PRId64, m->meter);
    int64_t r;
    bool has_reservation = glv_ocpp16_field_int(req->payload, "reservationId", &r);
    if (has_reservation)
        snprintf(reservation, sizeof reservation, "%" PRId64, r);
    char *info = json_dumps(m->info, JSON_COMPACT);
    const char *params[] = {req->conn->identity,
                            connector,
                            glv_ocpp16_field_str(req->payload, "idTag"),
                            meter,
                            m->at,
                            has_reservation ? reservation : NULL,
                            info};
    m->attempts++;
    int rc = info == NULL
                 ? -1
                 : OCPP16_HOST->db_group(glv_ocpp16.p, SQL_START, 7, params, start_stored, m);
    free(info);
    if (rc < 0) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
        tx_msg_free(m);
    }
}

static void start_authorized(json_t *info, void *arg)
{
    struct tx_msg *m = arg;
    m->info = info;
    start_run(m);
}

void glv_ocpp16_start_transaction(struct glv_ocpp16_request *req)
{
    struct tx_msg *m = tx_msg_new(req);
    if (m == NULL) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "out of memory");
        return;
    }
    glv_ocpp16_field_int(req->payload, "connectorId", &m->connector);
    glv_ocpp16_field_int(req->payload, "meterStart", &m->meter);
    if (!glv_ocpp16_field_time(req->payload, "timestamp", &m->at_ms) ||
        glv_ocpp16_iso(m->at_ms, m->at)[0] == '\0') {
        glv_ocpp16_reply_error(req, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
                               "timestamp: not a usable date-time");
        tx_msg_free(m);
        return;
    }
    glv_ocpp16_authorize(req->conn, glv_ocpp16_field_str(req->payload, "idTag"), m->connector,
                         start_authorized, m);
}

/* ---- StopTransaction ---- */

static void stop_run(struct tx_msg *m);

static void stop_stored(const glv_db_result *res, void *arg)
{
    struct tx_msg *m = arg;
    const glv_host *h = OCPP16_HOST;
    if (!h->db_ok(res) || h->db_rows(res) != 1) {
        db_failed(m, res);
        return;
    }
    struct glv_ocpp16_request *req = m->req;
    const char *outcome = h->db_value(res, 0, 0);
    if (strcmp(outcome, "concurrent") == 0) {
        /* Another copy of this stop committed after our snapshot was taken
         * (a resend while the first was still being written): read again
         * to answer what the first stored. */
        if (m->attempts < 3) {
            stop_run(m);
            return;
        }
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
        tx_msg_free(m);
        return;
    }
    json_t *answer_info = NULL;
    json_t *ev = NULL;
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, m->tx_id);
    if (strcmp(outcome, "resent") == 0) {
        const char *stored = h->db_value(res, 0, 1);
        answer_info = stored ? json_loads(stored, 0, NULL) : NULL;
        OCPP16_LOG(GLV_LOG_INFO, "%s: StopTransaction %s resent; already stopped",
                   req->conn->identity, id);
    } else {
        answer_info = json_incref(m->info);
        bool unknown = strncmp(outcome, "unknown", 7) == 0;
        if (unknown)
            OCPP16_LOG(GLV_LOG_WARNING,
                       "%s: StopTransaction for unknown transaction %s; kept "
                       "in ocpp16_unknown_stops for review",
                       req->conn->identity, id);
        if (strcmp(outcome, "unknown_resent") != 0) {
            ev = glv_ocpp16_event_new(req->conn->identity, m->at_ms);
            json_object_set_new(ev, "transaction_id", json_string(id));
            json_object_set_new(ev, "unknown", json_boolean(unknown));
            json_object_set_new(ev, "meter_stop_wh", json_integer(m->meter));
            const char *reason = glv_ocpp16_field_str(req->payload, "reason");
            json_object_set_new(ev, "reason", json_string(reason ? reason : "Local"));
            const char *tag = glv_ocpp16_field_str(req->payload, "idTag");
            if (tag != NULL)
                json_object_set_new(ev, "id_token", json_string(tag));
            if (!unknown) {
                int64_t start = strtoll(h->db_value(res, 0, 4), NULL, 10);
                json_object_set_new(ev, "evse_id",
                                    json_integer(strtoll(h->db_value(res, 0, 2), NULL, 10)));
                json_object_set_new(ev, "connector_id", json_integer(1));
                json_object_set_new(ev, "started_id_token", json_string(h->db_value(res, 0, 3)));
                json_object_set_new(ev, "meter_start_wh", json_integer(start));
                json_object_set_new(ev, "started_at", json_string(h->db_value(res, 0, 5)));
                json_object_set_new(ev, "energy_wh", json_integer(m->meter - start));
            }
            json_object_set_new(ev, "samples", glv_ocpp16_meter_samples(m->readings));
        }
    }
    observe_commit(req);
    json_t *out = json_object();
    if (answer_info != NULL)
        json_object_set_new(out, "idTagInfo", answer_info);
    glv_ocpp16_reply(req, out);
    if (ev != NULL)
        glv_ocpp16_emit("transaction.stopped", ev);
    tx_msg_free(m);
}

static void stop_run(struct tx_msg *m)
{
    struct glv_ocpp16_request *req = m->req;
    char tx[24], meter[24];
    snprintf(tx, sizeof tx, "%" PRId64, m->tx_id);
    snprintf(meter, sizeof meter, "%" PRId64, m->meter);
    const char *reason = glv_ocpp16_field_str(req->payload, "reason");
    char *info = m->info ? json_dumps(m->info, JSON_COMPACT) : NULL;
    struct glv_ocpp16_meter_rows rows = {0};
    glv_ocpp16_meter_rows_add(&rows, 0, m->tx_id, req->conn->identity, 0, m->readings);
    const char *params[7 + GLV_OCPP16_METER_ROW_PARAMS] = {
        req->conn->identity,
        tx,
        meter,
        m->at,
        reason ? reason : "Local",
        glv_ocpp16_field_str(req->payload, "idTag"),
        info};
    m->attempts++;
    int rc =
        glv_ocpp16_meter_rows_params(&rows, params + 7) < 0 || (m->info != NULL && info == NULL)
            ? -1
            : OCPP16_HOST->db_group(glv_ocpp16.p, SQL_STOP, 7 + GLV_OCPP16_METER_ROW_PARAMS, params,
                                    stop_stored, m);
    free(info);
    glv_ocpp16_meter_rows_free(&rows);
    if (rc < 0) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
        tx_msg_free(m);
    }
}

static void stop_authorized(json_t *info, void *arg)
{
    struct tx_msg *m = arg;
    m->info = info;
    stop_run(m);
}

void glv_ocpp16_stop_transaction(struct glv_ocpp16_request *req)
{
    struct tx_msg *m = tx_msg_new(req);
    if (m == NULL) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "out of memory");
        return;
    }
    glv_ocpp16_field_int(req->payload, "transactionId", &m->tx_id);
    glv_ocpp16_field_int(req->payload, "meterStop", &m->meter);
    m->readings = glv_ocpp16_meter_from_json(json_object_get(req->payload, "transactionData"));
    if (m->readings == NULL || !glv_ocpp16_field_time(req->payload, "timestamp", &m->at_ms) ||
        glv_ocpp16_iso(m->at_ms, m->at)[0] == '\0') {
        glv_ocpp16_reply_error(req, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
                               "timestamp: not a usable date-time");
        tx_msg_free(m);
        return;
    }
    const char *tag = glv_ocpp16_field_str(req->payload, "idTag");
    if (tag != NULL)
        glv_ocpp16_authorize(req->conn, tag, -1, stop_authorized, m);
    else
        stop_run(m);
}

/* ---- MeterValues ----
 *
 * MeterValues go out as one statement per batch through group commit,
 * carrying the readings of every message, each tagged with its message's
 * index (ocpp16_meter_rows.h). Every message is answered from the batch's
 * callback, after COMMIT. At most METER_INFLIGHT batches are on their way
 * to the database at once; the messages read meanwhile wait and leave
 * together, as one statement, when one of them has committed (or when
 * METER_BATCH_MAX are waiting). A statement per loop turn instead would
 * send PostgreSQL many small statements under load, each paying its own
 * executor start and portal, for the same rows.
 *
 * The statement is first a plain INSERT (SQL_METER_NEW): almost every
 * reading is new, and a plain INSERT costs PostgreSQL about a third less
 * than one with ON CONFLICT, which needs a speculative insertion per row,
 * and than mapping stored rows back to their messages. A unique violation
 * means a resend (or a concurrent batch with the same key): nothing of the
 * batch was kept, and it is written again with SQL_METER_MERGE, as is every
 * batch for METER_MERGE_MS after that, while the chargers' resends come in.
 * SQL_METER_MERGE merges and returns the index of every message that stored
 * or completed a reading; a reading already stored whole by an earlier
 * message counts as a resend. A batch SQL_METER_MERGE cannot write as a
 * whole (two messages of the batch with the same reading key, which one
 * statement cannot both write, or a deadlock with a concurrent batch) is
 * written again one message per statement, so that only a message that
 * fails alone gets a CALLERROR; a message whose connectorId or
 * transactionId is outside the columns' range never joins a batch. */

#define METER_BATCH_MAX 1000
#define METER_INFLIGHT 2
#define METER_MERGE_MS 5000

// clang-format off
static const char SQL_METER_NEW[] =
    "INSERT INTO ocpp16_meter_readings (transaction_id, charger, connector_id, sampled_at,"
    " energy_wh, samples)"
    " SELECT t, c, n, \"timestamp\", energy_wh, samples FROM"
    SQL_READING_ROWS("$1", "$2", "$3", "$4", "$5", "$6", "$7");

static const char SQL_METER_MERGE[] =
    "WITH x AS MATERIALIZED (SELECT * FROM"
    SQL_READING_ROWS("$1", "$2", "$3", "$4", "$5", "$6", "$7") "),"
    " mv AS (" SQL_STORE_READINGS("x") ")"
    " SELECT DISTINCT x.i FROM mv JOIN x ON x.t = mv.transaction_id AND x.c = mv.charger"
    " AND x.n = mv.connector_id AND x.\"timestamp\" = mv.sampled_at";
// clang-format on

/* The MeterValues themselves travel as their requests: req->meter holds
 * the connector, the transaction and the readings, whichever way the
 * message was read. */
struct meter_batch {
    size_t n;
    bool merge; /* written with SQL_METER_MERGE */
    bool paced; /* counted in meter_pending.inflight */
    struct {
        struct glv_ocpp16_request *req;
        bool stored; /* stored or completed a reading */
    } e[];
};

static struct {
    struct glv_ocpp16_request *msgs[METER_BATCH_MAX];
    size_t n;
    glv_timer *flush;
    unsigned inflight;       /* paced batches not yet answered */
    uint64_t merge_until_ms; /* batches merge until then (monotonic) */
} meter_pending;

static void meter_send(bool force);

/* Answers one MeterValues after COMMIT; stored: it stored something new. */
static void meter_answer(struct glv_ocpp16_request *req, bool stored)
{
    const struct glv_ocpp16_meter_call *m = &req->meter;
    json_t *ev = NULL;
    if (stored && m->tx_id > 0 && glv_ocpp16_listened("transaction.meter")) {
        char id[24];
        snprintf(id, sizeof id, "%" PRId64, m->tx_id);
        ev = glv_ocpp16_event_new(req->conn->identity, -1);
        json_object_set_new(ev, "transaction_id", json_string(id));
        json_object_set_new(ev, "evse_id", json_integer(m->connector));
        json_object_set_new(ev, "connector_id", json_integer(1));
        if (m->readings->energy_wh >= 0)
            json_object_set_new(ev, "energy_wh", json_real(m->readings->energy_wh));
        json_object_set_new(ev, "samples", glv_ocpp16_meter_samples(m->readings));
    } else if (!stored) {
        OCPP16_LOG(GLV_LOG_INFO, "%s: MeterValues resent; nothing new", req->conn->identity);
    }
    observe_commit(req);
    glv_ocpp16_reply_empty(req);
    if (ev != NULL)
        glv_ocpp16_emit("transaction.meter", ev);
}

static void meter_write(struct glv_ocpp16_request **msgs, size_t n, bool merge, bool paced);

/* Takes the messages of b into a new statement. */
static void meter_rewrite(struct meter_batch *b, bool one_by_one)
{
    struct glv_ocpp16_request *msgs[METER_BATCH_MAX];
    for (size_t i = 0; i < b->n; i++)
        msgs[i] = b->e[i].req;
    size_t n = b->n;
    free(b);
    if (!one_by_one) {
        meter_write(msgs, n, true, false);
        return;
    }
    for (size_t i = 0; i < n; i++)
        meter_write(&msgs[i], 1, true, false);
}

/* Answers the messages of b (freed) or writes them again. */
static void meter_batch_answer(const glv_db_result *res, struct meter_batch *b)
{
    const glv_host *h = OCPP16_HOST;
    if (!h->db_ok(res)) {
        const char *state = h->db_sqlstate(res);
        if (!b->merge && state != NULL && strcmp(state, "23505") == 0) {
            OCPP16_LOG(GLV_LOG_DEBUG, "%zu MeterValues hold a reading already stored; merging",
                       b->n);
            meter_pending.merge_until_ms = h->monotonic_ms() + METER_MERGE_MS;
            meter_rewrite(b, false);
        } else if (b->n == 1) {
            db_failed_req(b->e[0].req, res);
            free(b);
        } else {
            OCPP16_LOG(GLV_LOG_WARNING, "%zu MeterValues not stored together (%s); one at a time",
                       b->n, h->db_error(res));
            meter_rewrite(b, true);
        }
        return;
    }
    if (!b->merge) {
        /* a plain INSERT that succeeded stored every reading */
        for (size_t i = 0; i < b->n; i++)
            b->e[i].stored = true;
    }
    int rows = b->merge ? h->db_rows(res) : 0;
    for (int r = 0; r < rows; r++) {
        long long i = strtoll(h->db_value(res, r, 0), NULL, 10);
        if (i >= 0 && (size_t)i < b->n)
            b->e[i].stored = true;
    }
    for (size_t i = 0; i < b->n; i++)
        meter_answer(b->e[i].req, b->e[i].stored);
    free(b);
}

static void meter_batch_stored(const glv_db_result *res, void *arg)
{
    struct meter_batch *b = arg;
    bool paced = b->paced;
    meter_batch_answer(res, b);
    if (paced) {
        meter_pending.inflight--;
        meter_send(false); /* the messages that waited for this batch */
    }
}

/* Writes n messages in one statement, SQL_METER_MERGE or SQL_METER_NEW,
 * counted in meter_pending.inflight when paced; each is answered from its
 * callback, or with a CALLERROR at once when the statement cannot be sent. */
static void meter_write(struct glv_ocpp16_request **msgs, size_t n, bool merge, bool paced)
{
    struct meter_batch *b = calloc(1, sizeof *b + n * sizeof b->e[0]);
    struct glv_ocpp16_meter_rows rows = {0};
    const char *params[GLV_OCPP16_METER_ROW_PARAMS];
    int rc = -1;
    if (b != NULL) {
        for (size_t i = 0; i < n; i++) {
            const struct glv_ocpp16_meter_call *m = &msgs[i]->meter;
            b->e[i].req = msgs[i];
            glv_ocpp16_meter_rows_add(&rows, (int64_t)i, m->tx_id, msgs[i]->conn->identity,
                                      m->connector, m->readings);
        }
        b->n = n;
        b->merge = merge;
        b->paced = paced;
        if (glv_ocpp16_meter_rows_params(&rows, params) == 0) {
            if (n > 1)
                OCPP16_LOG(GLV_LOG_DEBUG, "%zu MeterValues in one statement", n);
            rc = OCPP16_HOST->db_group(glv_ocpp16.p, merge ? SQL_METER_MERGE : SQL_METER_NEW,
                                       GLV_OCPP16_METER_ROW_PARAMS, params, meter_batch_stored, b);
        }
    }
    glv_ocpp16_meter_rows_free(&rows);
    if (rc == 0) {
        meter_pending.inflight += paced;
        return;
    }
    for (size_t i = 0; i < n; i++)
        glv_ocpp16_reply_error(msgs[i], GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
    free(b);
}

/* Takes the waiting messages into one paced statement, unless
 * METER_INFLIGHT are on their way already (then the first of them to be
 * answered calls again) and force is false. */
static void meter_send(bool force)
{
    size_t n = meter_pending.n;
    if (n == 0 || (!force && meter_pending.inflight >= METER_INFLIGHT))
        return;
    if (meter_pending.flush != NULL) {
        OCPP16_HOST->timer_stop(meter_pending.flush);
        meter_pending.flush = NULL;
    }
    /* Answers may bring the next MeterValues of a charger into
     * meter_pending: work on a copy. */
    struct glv_ocpp16_request *taken[METER_BATCH_MAX];
    memcpy(taken, meter_pending.msgs, n * sizeof taken[0]);
    meter_pending.n = 0;
    meter_write(taken, n, OCPP16_HOST->monotonic_ms() < meter_pending.merge_until_ms, true);
}

static void meter_flush_timer(void *arg)
{
    (void)arg;
    meter_pending.flush = NULL; /* a one-shot timer is freed after this */
    meter_send(false);
}

void glv_ocpp16_meter_values(struct glv_ocpp16_request *req)
{
    struct glv_ocpp16_meter_call *m = &req->meter;
    if (m->readings == NULL) {
        /* read on the general path: taken from the validated payload */
        glv_ocpp16_field_int(req->payload, "connectorId", &m->connector);
        if (!glv_ocpp16_field_int(req->payload, "transactionId", &m->tx_id))
            m->tx_id = 0;
        m->readings = glv_ocpp16_meter_from_json(json_object_get(req->payload, "meterValue"));
        if (m->readings == NULL) {
            glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "not stored, please retry");
            return;
        }
    }
    if (m->connector < 0 || m->connector > INT32_MAX || m->tx_id < INT32_MIN ||
        m->tx_id > INT32_MAX) {
        /* Fails alone, as it would in a batch, without taking one down. */
        meter_write(&req, 1, true, false);
        return;
    }
    meter_pending.msgs[meter_pending.n++] = req;
    if (meter_pending.n == METER_BATCH_MAX) {
        meter_send(true);
        return;
    }
    if (meter_pending.flush == NULL && meter_pending.inflight < METER_INFLIGHT) {
        /* A zero timeout fires on the next loop turn, after every message
         * read in this one. */
        meter_pending.flush = OCPP16_HOST->timer_start(glv_ocpp16.p, 0, 0, meter_flush_timer, NULL);
        if (meter_pending.flush == NULL)
            meter_send(false);
    }
}
