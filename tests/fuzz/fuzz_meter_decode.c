/*
 * libFuzzer target for MeterValues read from text (ocpp16_meter_decode.h):
 * whenever the reader takes an input, the general path must take it too
 * (parsed as a MeterValues CALL, valid by the strict schema) and give the
 * same message id, connectorId, transactionId and stored rows, whose
 * samples are one well-formed JSON array. Aborts otherwise.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_fields.h"
#include "ocpp16_meter_decode.h"
#include "ocpp16_meter_rows.h"
#include "ocpp16_validate.h"
#include "ocppj_frame.h"

/* The seven parameters of a message's rows, joined. */
static char *rows_text(int64_t tx, int64_t connector, const struct glv_ocpp16_readings *readings)
{
    struct glv_ocpp16_meter_rows rows = {0};
    const char *params[GLV_OCPP16_METER_ROW_PARAMS];
    glv_ocpp16_meter_rows_add(&rows, 0, tx, "CP", connector, readings);
    if (glv_ocpp16_meter_rows_params(&rows, params) < 0)
        abort();
    /* the samples parameter is one JSON array, an item per reading (its
     * integers may have more digits than jansson's integers hold) */
    json_t *samples =
        json_loads(params[GLV_OCPP16_METER_ROW_PARAMS - 1], JSON_DECODE_INT_AS_REAL, NULL);
    if (!json_is_array(samples) || json_array_size(samples) != readings->n)
        abort();
    json_decref(samples);
    struct glv_ocpp16_text all = {0};
    for (int i = 0; i < GLV_OCPP16_METER_ROW_PARAMS; i++) {
        glv_ocpp16_text_puts(&all, params[i]);
        glv_ocpp16_text_puts(&all, "\n");
    }
    glv_ocpp16_meter_rows_free(&rows);
    const char *text = glv_ocpp16_text_get(&all);
    char *out = text ? strdup(text) : NULL;
    glv_ocpp16_text_free(&all);
    if (out == NULL)
        abort();
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct glv_ocpp16_meter_call call;
    if (!glv_ocpp16_meter_decode((const char *)data, size, &call))
        return 0;
    struct glv_ocppj_frame frame;
    if (glv_ocppj_parse((const char *)data, size, GLV_OCPP16_FROM_CHARGER, NULL, &frame, NULL) <
            0 ||
        frame.type != GLV_OCPPJ_CALL || strcmp(frame.action, "MeterValues") != 0 ||
        strcmp(frame.id, call.id) != 0 ||
        glv_ocpp16_validate(frame.action_def->request, frame.payload, NULL, NULL) != GLV_OCPP16_OK)
        abort();
    int64_t connector = -1, tx = 0;
    glv_ocpp16_field_int(frame.payload, "connectorId", &connector);
    glv_ocpp16_field_int(frame.payload, "transactionId", &tx);
    if (connector != call.connector || tx != call.tx_id)
        abort();
    struct glv_ocpp16_readings *general =
        glv_ocpp16_meter_from_json(json_object_get(frame.payload, "meterValue"));
    if (general == NULL)
        abort();
    char *ours = rows_text(call.tx_id, call.connector, call.readings);
    char *theirs = rows_text(tx, connector, general);
    if (strcmp(ours, theirs) != 0 || general->energy_wh != call.readings->energy_wh)
        abort();
    free(ours);
    free(theirs);
    free(general);
    free(call.readings);
    glv_ocppj_frame_clear(&frame);
    return 0;
}
