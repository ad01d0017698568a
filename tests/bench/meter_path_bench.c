/*
 * meter_path_bench — galvanid's own work per MeterValues, on one core,
 * without sockets or PostgreSQL: the CALL read from its text (as
 * galvani-sim sends it: five sampled values), its readings added to the
 * statement's parameters (a statement every 200 messages) and the
 * CALLRESULT written. Prints nanoseconds per message for each step and in
 * all, best of five rounds.
 *
 * usage: meter_path_bench [messages per round]
 */
#include "ocpp16_meter_decode.h"
#include "ocpp16_meter_rows.h"
#include "ocppj_frame.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAMPLED(value, measurand, location, unit)                                                  \
    "{\"value\":\"" value "\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\","                 \
    "\"measurand\":\"" measurand "\",\"location\":\"" location "\",\"unit\":\"" unit "\"}"
#define ENERGY SAMPLED("48213", "Energy.Active.Import.Register", "Outlet", "Wh")
#define POWER SAMPLED("11040", "Power.Active.Import", "Outlet", "W")
#define CURRENT SAMPLED("16.0", "Current.Import", "Outlet", "A")
#define VOLTAGE SAMPLED("230.1", "Voltage", "Outlet", "V")
#define SOC SAMPLED("57", "SoC", "EV", "Percent")

static const char CALL[] =
    "[2,\"1042\",\"MeterValues\",{\"connectorId\":3,\"meterValue\":[{"
    "\"timestamp\":\"2026-11-22T10:15:42.123Z\",\"sampledValue\":[" ENERGY "," POWER "," CURRENT
    "," VOLTAGE "," SOC "]}],\"transactionId\":1234567}]";

#define BATCH 200

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < BATCH)
        n = BATCH;
    static struct glv_ocpp16_meter_call calls[BATCH];
    json_t *empty = json_object();
    struct glv_ocpp16_text frame = {0};
    double best[3] = {0, 0, 0};
    for (int round = 0; round < 5; round++) {
        double spent[3] = {0, 0, 0};
        for (long done = 0; done < n; done += BATCH) {
            double t0 = now_ns();
            for (int i = 0; i < BATCH; i++)
                if (!glv_ocpp16_meter_decode(CALL, sizeof CALL - 1, &calls[i])) {
                    fprintf(stderr, "meter_path_bench: the CALL was not read\n");
                    return 1;
                }
            double t1 = now_ns();
            struct glv_ocpp16_meter_rows rows = {0};
            const char *params[GLV_OCPP16_METER_ROW_PARAMS];
            for (int i = 0; i < BATCH; i++)
                glv_ocpp16_meter_rows_add(&rows, i, calls[i].tx_id, "SIM-000042",
                                          calls[i].connector, calls[i].readings);
            if (glv_ocpp16_meter_rows_params(&rows, params) != 0)
                return 1;
            glv_ocpp16_meter_rows_free(&rows);
            double t2 = now_ns();
            for (int i = 0; i < BATCH; i++) {
                if (glv_ocppj_write_result(&frame, calls[i].id, empty) != 0)
                    return 1;
                free(calls[i].readings);
            }
            double t3 = now_ns();
            spent[0] += t1 - t0;
            spent[1] += t2 - t1;
            spent[2] += t3 - t2;
        }
        for (int k = 0; k < 3; k++)
            if (round == 0 || spent[k] < best[k])
                best[k] = spent[k];
    }
    long per = (n + BATCH - 1) / BATCH * BATCH;
    printf("meter_path_bench messages=%ld read_ns=%.0f rows_ns=%.0f answer_ns=%.0f total_ns=%.0f\n",
           per, best[0] / per, best[1] / per, best[2] / per, (best[0] + best[1] + best[2]) / per);
    glv_ocpp16_text_free(&frame);
    json_decref(empty);
    return 0;
}
