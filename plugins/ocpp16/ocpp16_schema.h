/*
 * The OCPP 1.6 JSON schemas (core profile plus the security extension) as
 * static C tables: one declarative node tree per request and per response,
 * and one entry per action. Everything here is constant data; nothing is
 * allocated and the tables live for the whole process.
 */
#ifndef GLV_OCPP16_SCHEMA_H
#define GLV_OCPP16_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum glv_ocpp16_kind {
    GLV_OCPP16_OBJECT,
    GLV_OCPP16_STRING,
    GLV_OCPP16_INTEGER,
    GLV_OCPP16_NUMBER, /* a decimal: JSON integer or real */
    GLV_OCPP16_BOOLEAN,
    GLV_OCPP16_ARRAY,
};

enum glv_ocpp16_format {
    GLV_OCPP16_FORMAT_NONE,
    GLV_OCPP16_FORMAT_DATE_TIME, /* RFC 3339, see ocpp16_time.h */
    GLV_OCPP16_FORMAT_URI,       /* absolute URI: scheme ':' rest, no spaces */
};

struct glv_ocpp16_node;

/* One property of an object node. */
struct glv_ocpp16_prop {
    const char *name;
    const struct glv_ocpp16_node *node;
    bool required;
};

/*
 * A schema node. Fields that do not apply to the node's kind are zero.
 * Objects never allow additional properties (every OCPP 1.6 schema says
 * additionalProperties: false).
 */
struct glv_ocpp16_node {
    enum glv_ocpp16_kind kind;
    /* string */
    enum glv_ocpp16_format format;
    uint16_t max_length; /* in characters; 0 = unbounded */
    uint16_t enum_count; /* 0 = any string */
    const char *const *enum_values;
    /* number: the value must be a multiple of 10^-decimals; 0 = any */
    uint8_t decimals;
    /* object */
    uint16_t prop_count;
    const struct glv_ocpp16_prop *props;
    /* array */
    uint16_t min_items;
    uint16_t max_items; /* 0 = unbounded */
    const struct glv_ocpp16_node *items;
};

/* Who sends the CALL of an action (a bit set). */
enum glv_ocpp16_sender {
    GLV_OCPP16_FROM_CHARGER = 1u << 0, /* Charge Point -> Central System */
    GLV_OCPP16_FROM_CSMS = 1u << 1,    /* Central System -> Charge Point */
};

/* One OCPP 1.6 action with the schemas of its request and its response. */
struct glv_ocpp16_action {
    const char *name;
    unsigned senders;        /* enum glv_ocpp16_sender bits */
    bool security_extension; /* defined by the 1.6 security whitepaper */
    const struct glv_ocpp16_node *request;
    const struct glv_ocpp16_node *response;
};

/* The action called name (case-sensitive), or NULL when OCPP 1.6 has no such
 * action. name is borrowed. The result is static. */
const struct glv_ocpp16_action *glv_ocpp16_action_find(const char *name);

/* Number of actions in the table, and the i-th one (i < count) in
 * alphabetical order; static. */
size_t glv_ocpp16_action_count(void);
const struct glv_ocpp16_action *glv_ocpp16_action_at(size_t i);

#endif
