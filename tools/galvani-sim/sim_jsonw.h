/* JSON text written straight into a growing buffer: the payloads a charger
 * sends are built as text once, with no tree and, once the buffer has
 * grown, no allocation. Member names are written as given (they are
 * literals); string values are escaped. */
#ifndef SIM_JSONW_H
#define SIM_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_jw {
    char *buf;
    size_t len;
    size_t cap;
    bool comma;  /* the next value at this level needs a comma first */
    bool failed; /* out of memory: the text is incomplete */
};

/* Empties the text and keeps the buffer. */
void sim_jw_reset(struct sim_jw *w);
void sim_jw_free(struct sim_jw *w);
/* Appends text as is (no comma, no escaping). */
void sim_jw_raw(struct sim_jw *w, const char *text, size_t len);

/* Each value below is a member "key":value when key is set, else an array
 * element. */
void sim_jw_object(struct sim_jw *w, const char *key);
void sim_jw_end_object(struct sim_jw *w);
void sim_jw_array(struct sim_jw *w, const char *key);
void sim_jw_end_array(struct sim_jw *w);
void sim_jw_string(struct sim_jw *w, const char *key, const char *value);
/* Members written beforehand as text ("a":1,"b":"c"), appended as they
 * are. */
void sim_jw_members(struct sim_jw *w, const char *members);
void sim_jw_int(struct sim_jw *w, const char *key, int64_t value);
/* A number as a string with a fixed number of decimals (0..3), rounded:
 * "12.5" for 12.46 with 1. */
void sim_jw_decimal(struct sim_jw *w, const char *key, double value, unsigned decimals);
/* A UTC time with milliseconds: "2025-01-31T12:00:00.250Z". */
void sim_jw_time(struct sim_jw *w, const char *key, int64_t wall_ms);

/* Writes v in decimal into out (at most 20 bytes, no NUL); returns the length. */
size_t sim_format_int(char *out, int64_t v);

#endif
