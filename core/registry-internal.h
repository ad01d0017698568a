/*
 * galvani core — private. The charger registry: host->charger_lookup,
 * charger_provision, charger_attach, charger_detach and charger_seen over
 * the tables glv_chargers and glv_charger_connections (sql/002).
 */
#ifndef GLV_REGISTRY_INTERNAL_H
#define GLV_REGISTRY_INTERNAL_H

#include "core-internal.h"

/* Longest identity accepted (bytes). */
#define GLV_CHARGER_IDENTITY_MAX 255

/* 1 when identity is a usable charger identity (1 to 255 bytes, printable
 * ASCII without spaces). */
int glv_charger_identity_ok(const char *identity);

/* Checks a charger_provision fields object. 0, or -EINVAL with a message
 * (naming the field) written to msg. */
int glv_charger_fields_check(const json_t *fields, char *msg, size_t msglen);

#endif
