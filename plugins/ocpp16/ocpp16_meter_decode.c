/* MeterValues read from the text of its CALL; see ocpp16_meter_decode.h. */
#include "ocpp16_meter_decode.h"

#include "ocpp16_schema.h"

#include <stdlib.h>
#include <string.h>

/* The text being read: a writable copy, so that each string read can be
 * ended with a NUL in place of its closing quote. */
struct reader {
    char *p, *end;
};

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool eat(struct reader *r, char c)
{
    if (r->p == r->end || *r->p != c) {
        skip_space(r); /* compact text, as chargers send it, has none */
        if (r->p == r->end || *r->p != c)
            return false;
    }
    r->p++;
    return true;
}

/* The bytes a plain string holds: ASCII from space on, but the quote and
 * the backslash. Filled once. */
static bool plain[256];

static void plain_fill(void)
{
    for (int c = 0x20; c < 0x80; c++)
        plain[c] = c != '"' && c != '\\';
}

#define BYTES(b) (0x0101010101010101ull * (b))

/* Bit 7 of each byte of w that is not plain (below a space, above 0x7f, a
 * quote or a backslash), exactly: no carry crosses a byte. */
static uint64_t special_bytes(uint64_t w)
{
    uint64_t quote = w ^ BYTES('"'), backslash = w ^ BYTES('\\');
    uint64_t is_quote = ~(((quote & BYTES(0x7f)) + BYTES(0x7f)) | quote);
    uint64_t is_backslash = ~(((backslash & BYTES(0x7f)) + BYTES(0x7f)) | backslash);
    uint64_t is_control = ~(((w & BYTES(0x7f)) + BYTES(0x60)) | w);
    return (is_quote | is_backslash | is_control | w) & BYTES(0x80);
}

/* A string of printable ASCII without escapes, NUL-terminated in place. */
static const char *string(struct reader *r, size_t *len)
{
    if (!eat(r, '"'))
        return NULL;
    char *start = r->p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes at a time up to the first that is not plain */
    while (r->end - r->p >= 8) {
        uint64_t w;
        memcpy(&w, r->p, 8);
        uint64_t special = special_bytes(w);
        if (special != 0) {
            r->p += __builtin_ctzll(special) / 8;
            break;
        }
        r->p += 8;
    }
#endif
    while (r->p < r->end && plain[(unsigned char)*r->p])
        r->p++;
    if (r->p == r->end || *r->p != '"')
        return NULL;
    *len = (size_t)(r->p - start);
    *r->p++ = '\0';
    return start;
}

/* A JSON integer of at most 18 digits (one jansson reads as an integer). */
static bool integer(struct reader *r, int64_t *out)
{
    skip_space(r);
    bool negative = r->p < r->end && *r->p == '-';
    if (negative)
        r->p++;
    const char *start = r->p;
    int64_t v = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        if (r->p - start == 18)
            return false;
        v = v * 10 + (*r->p++ - '0');
    }
    size_t digits = (size_t)(r->p - start);
    if (digits == 0 || (digits > 1 && *start == '0'))
        return false;
    if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
        return false;
    *out = negative ? -v : v;
    return true;
}

static bool is_key(const char *key, size_t len, const char *name)
{
    for (size_t i = 0; i < len; i++)
        if (name[i] != key[i]) /* also at the end of a shorter name */
            return false;
    return name[len] == '\0';
}

/* ---- names found by a hash of their length and three of their bytes ---- */

#define INDEX_SLOTS 64
#define INDEX_MAX 63

/* A set of names (borrowed, static) for finding a string's index among
 * them with one comparison, rarely two. */
struct name_index {
    uint8_t count;
    const char *name[INDEX_MAX];
    uint8_t len[INDEX_MAX];
    uint8_t head[INDEX_SLOTS]; /* 1 + the first name of the slot; 0: none */
    uint8_t next[INDEX_MAX];   /* 1 + the next name of the same slot; 0: none */
};

static unsigned slot_of(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    return (unsigned)(len * 31u + (unsigned char)s[0] * 7u + (unsigned char)s[len / 2] * 3u +
                      (unsigned char)s[len - 1]) %
           INDEX_SLOTS;
}

/* False when there are too many names or one is too long. */
static bool index_add(struct name_index *x, const char *name)
{
    size_t len = strlen(name);
    if (x->count == INDEX_MAX || len > UINT8_MAX)
        return false;
    unsigned slot = slot_of(name, len);
    x->name[x->count] = name;
    x->len[x->count] = (uint8_t)len;
    x->next[x->count] = x->head[slot];
    x->head[slot] = ++x->count;
    return true;
}

/* The index of s among the names, or -1. */
static int index_find(const struct name_index *x, const char *s, size_t len)
{
    for (unsigned at = x->head[slot_of(s, len)]; at != 0; at = x->next[at - 1])
        if (x->len[at - 1] == len && memcmp(x->name[at - 1], s, len) == 0)
            return (int)at - 1;
    return -1;
}

static const struct glv_ocpp16_prop *prop_of(const struct glv_ocpp16_node *node, const char *key,
                                             size_t len)
{
    for (uint16_t i = 0; node != NULL && i < node->prop_count; i++)
        if (is_key(key, len, node->props[i].name))
            return &node->props[i];
    return NULL;
}

/* Where a SampledValue property goes in struct glv_ocpp16_sampled;
 * (size_t)-1 for one that has no place there. */
static size_t sampled_offset(const char *name)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"value", offsetof(struct glv_ocpp16_sampled, value)},
        {"context", offsetof(struct glv_ocpp16_sampled, context)},
        {"format", offsetof(struct glv_ocpp16_sampled, format)},
        {"measurand", offsetof(struct glv_ocpp16_sampled, measurand)},
        {"phase", offsetof(struct glv_ocpp16_sampled, phase)},
        {"location", offsetof(struct glv_ocpp16_sampled, location)},
        {"unit", offsetof(struct glv_ocpp16_sampled, unit)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return fields[i].offset;
    return (size_t)-1;
}

#define SAMPLED_PROPS_MAX 8

/* The parts of the MeterValues schema read here, found once. */
static struct {
    bool ready;
    const struct glv_ocpp16_node *meter_values;   /* the meterValue array */
    const struct glv_ocpp16_node *sampled_values; /* the sampledValue array */
    const struct glv_ocpp16_node *sampled_value;  /* its item, an object */
    struct name_index props;                      /* its properties' names */
    uint32_t required;                            /* bit i: property i is required */
    /* of each property: where it goes in struct glv_ocpp16_sampled, and
     * the values its enum allows (count 0: no enum) */
    size_t offset[SAMPLED_PROPS_MAX];
    struct name_index allowed[SAMPLED_PROPS_MAX];
} schema;

static bool schema_ready(void)
{
    if (schema.ready)
        return true;
    const struct glv_ocpp16_action *a = glv_ocpp16_action_find("MeterValues");
    const struct glv_ocpp16_prop *mv = a ? prop_of(a->request, "meterValue", 10) : NULL;
    const struct glv_ocpp16_node *item = mv ? mv->node->items : NULL;
    const struct glv_ocpp16_prop *ts = prop_of(item, "timestamp", 9);
    const struct glv_ocpp16_prop *sv = prop_of(item, "sampledValue", 12);
    if (ts == NULL || ts->node->format != GLV_OCPP16_FORMAT_DATE_TIME || sv == NULL ||
        sv->node->items == NULL || sv->node->items->prop_count > SAMPLED_PROPS_MAX)
        return false;
    memset(&schema, 0, sizeof schema); /* what an earlier attempt left */
    const struct glv_ocpp16_node *sampled = sv->node->items;
    for (uint16_t i = 0; i < sampled->prop_count; i++) {
        const struct glv_ocpp16_prop *p = &sampled->props[i];
        schema.offset[i] = sampled_offset(p->name);
        if (!index_add(&schema.props, p->name) || p->node->kind != GLV_OCPP16_STRING)
            return false;
        schema.required |= p->required ? 1u << i : 0;
        for (uint16_t k = 0; k < p->node->enum_count; k++)
            if (!index_add(&schema.allowed[i], p->node->enum_values[k]))
                return false;
    }
    plain_fill();
    schema.meter_values = mv->node;
    schema.sampled_values = sv->node;
    schema.sampled_value = sampled;
    schema.ready = true;
    return true;
}

/* An object: each member read by member, given its key (the colon read)
 * and ctx. False at anything else, or at a member that member refuses. */
static bool object(struct reader *r,
                   bool (*member)(struct reader *r, const char *key, size_t key_len, void *ctx),
                   void *ctx)
{
    if (!eat(r, '{'))
        return false;
    if (eat(r, '}'))
        return true;
    do {
        size_t key_len;
        const char *key = string(r, &key_len);
        if (key == NULL || !eat(r, ':') || !member(r, key, key_len, ctx))
            return false;
    } while (eat(r, ','));
    return eat(r, '}');
}

/* The sampled values read so far, in message order. */
struct sampled_list {
    struct glv_ocpp16_sampled in[GLV_OCPP16_METER_DECODE_MAX];
    size_t n;
};

/* An array of at least min_items items, each read by item. */
static bool array(struct reader *r, uint16_t min_items,
                  bool (*item)(struct reader *r, struct sampled_list *list),
                  struct sampled_list *list)
{
    size_t count = 0;
    if (!eat(r, '['))
        return false;
    if (!eat(r, ']')) {
        do {
            if (!item(r, list))
                return false;
            count++;
        } while (eat(r, ','));
        if (!eat(r, ']'))
            return false;
    }
    return count >= min_items;
}

/* A SampledValue being read: its properties, and which of them were seen
 * (bit i: property i of the schema). */
struct sampled_read {
    struct glv_ocpp16_sampled *s;
    uint32_t seen;
};

/* Whether v (len bytes) passes the schema of sampled value property i. */
static bool sampled_fits(int i, const char *v, size_t len)
{
    const struct glv_ocpp16_node *node = schema.sampled_value->props[i].node;
    if (node->enum_count > 0)
        return index_find(&schema.allowed[i], v, len) >= 0;
    if (node->max_length > 0 && len > node->max_length)
        return false;
    int64_t ms;
    return node->format == GLV_OCPP16_FORMAT_NONE ||
           (node->format == GLV_OCPP16_FORMAT_DATE_TIME && glv_ocpp16_time_parse(v, len, &ms) == 0);
}

static bool sampled_member(struct reader *r, const char *key, size_t key_len, void *ctx)
{
    struct sampled_read *read = ctx;
    int i = index_find(&schema.props, key, key_len);
    size_t len;
    const char *v = string(r, &len);
    if (i < 0 || v == NULL || (read->seen & (1u << i)) || schema.offset[i] == (size_t)-1 ||
        !sampled_fits(i, v, len))
        return false;
    read->seen |= 1u << i;
    *(const char **)((char *)read->s + schema.offset[i]) = v;
    return true;
}

static bool sampled_item(struct reader *r, struct sampled_list *list)
{
    if (list->n == GLV_OCPP16_METER_DECODE_MAX)
        return false;
    struct sampled_read read = {.s = &list->in[list->n]};
    *read.s = (struct glv_ocpp16_sampled){0};
    if (!object(r, sampled_member, &read) || (read.seen & schema.required) != schema.required)
        return false;
    list->n++;
    return true;
}

/* A MeterValue being read: its sampled values go to list. */
struct meter_read {
    struct sampled_list *list;
    int64_t ms;
    bool has_time, has_values;
};

static bool meter_member(struct reader *r, const char *key, size_t key_len, void *ctx)
{
    struct meter_read *read = ctx;
    if (is_key(key, key_len, "timestamp") && !read->has_time) {
        size_t len;
        const char *v = string(r, &len);
        read->has_time = v != NULL && glv_ocpp16_time_parse(v, len, &read->ms) == 0;
        return read->has_time;
    }
    if (is_key(key, key_len, "sampledValue") && !read->has_values) {
        read->has_values = array(r, schema.sampled_values->min_items, sampled_item, read->list);
        return read->has_values;
    }
    return false;
}

/* One MeterValue: its sampled values appended to list. */
static bool meter_value(struct reader *r, struct sampled_list *list)
{
    size_t from = list->n;
    struct meter_read read = {.list = list};
    if (!object(r, meter_member, &read) || !read.has_time || !read.has_values)
        return false;
    for (size_t i = from; i < list->n; i++)
        list->in[i].ms = read.ms;
    return true;
}

/* The payload being read. */
struct payload_read {
    struct glv_ocpp16_meter_call *call;
    struct sampled_list *list;
    bool has_connector, has_tx, has_values;
};

static bool payload_member(struct reader *r, const char *key, size_t key_len, void *ctx)
{
    struct payload_read *read = ctx;
    if (is_key(key, key_len, "connectorId") && !read->has_connector)
        return read->has_connector = integer(r, &read->call->connector);
    if (is_key(key, key_len, "transactionId") && !read->has_tx)
        return read->has_tx = integer(r, &read->call->tx_id);
    if (is_key(key, key_len, "meterValue") && !read->has_values)
        return read->has_values = array(r, schema.meter_values->min_items, meter_value, read->list);
    return false;
}

/* The payload: connectorId, transactionId, meterValue, in any order. */
static bool payload(struct reader *r, struct glv_ocpp16_meter_call *call, struct sampled_list *list)
{
    struct payload_read read = {.call = call, .list = list};
    return object(r, payload_member, &read) && read.has_connector && read.has_values;
}

/* [2, "<id>", "MeterValues", {payload}] and nothing after it. */
static bool call(struct reader *r, struct glv_ocpp16_meter_call *out, struct sampled_list *list)
{
    int64_t type;
    size_t id_len, action_len;
    const char *id, *action;
    if (!eat(r, '[') || !integer(r, &type) || type != 2 || !eat(r, ','))
        return false;
    if ((id = string(r, &id_len)) == NULL || id_len == 0 || id_len > GLV_OCPPJ_ID_MAX ||
        !eat(r, ','))
        return false;
    if ((action = string(r, &action_len)) == NULL || !is_key(action, action_len, "MeterValues") ||
        !eat(r, ','))
        return false;
    memcpy(out->id, id, id_len + 1);
    if (!payload(r, out, list) || !eat(r, ']'))
        return false;
    skip_space(r);
    return r->p == r->end;
}

bool glv_ocpp16_meter_decode(const char *text, size_t len, struct glv_ocpp16_meter_call *out)
{
    if (text == NULL || !schema_ready())
        return false;
    char small[2048];
    char *copy = len < sizeof small ? small : malloc(len);
    if (copy == NULL)
        return false;
    memcpy(copy, text, len);
    struct reader r = {.p = copy, .end = copy + len};
    struct sampled_list list;
    list.n = 0;
    struct glv_ocpp16_meter_call call_read = {.tx_id = 0};
    bool ok = call(&r, &call_read, &list);
    if (ok) {
        call_read.readings = glv_ocpp16_meter_normalize(list.in, list.n);
        ok = call_read.readings != NULL;
    }
    if (copy != small)
        free(copy);
    if (ok)
        *out = call_read;
    return ok;
}
