/* galvani core — a Markdown reference of configuration schemas. */
#include "config_reference-internal.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(glv_config_type t)
{
    switch (t) {
    case GLV_CFG_STRING:
        return "string";
    case GLV_CFG_INT:
        return "integer";
    case GLV_CFG_BOOL:
        return "boolean";
    case GLV_CFG_DURATION:
        return "duration";
    case GLV_CFG_SIZE:
        return "size";
    case GLV_CFG_SECRET:
        return "secret";
    case GLV_CFG_OBJECT:
        return "mapping";
    case GLV_CFG_STRING_LIST:
        return "list of strings";
    case GLV_CFG_OBJECT_LIST:
        return "list of mappings";
    case GLV_CFG_MAP:
        return "mapping of names";
    }
    return "?";
}

/* Writes s with the characters that break a Markdown table cell escaped. */
static void cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void rows(FILE *out, const char *prefix, const glv_config_field *schema)
{
    for (const glv_config_field *f = schema; f && f->key; f++) {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", f->key);
        fprintf(out, "| `%s` | %s", path, type_name(f->type));
        if (f->choices) {
            fputs(" (", out);
            for (size_t i = 0; f->choices[i]; i++)
                fprintf(out, "%s%s", i ? ", " : "", f->choices[i]);
            fputc(')', out);
        }
        if (f->min < f->max)
            fprintf(out, " %lld…%lld%s", (long long)f->min, (long long)f->max,
                    f->type == GLV_CFG_DURATION ? " ms"
                    : f->type == GLV_CFG_SIZE   ? " bytes"
                                                : "");
        fputs(" | ", out);
        if (f->flags & GLV_CFG_REQUIRED)
            fputs("required", out);
        else if (f->default_text) {
            fputc('`', out);
            cell(out, f->default_text);
            fputc('`', out);
        }
        fprintf(out, " | %s | ", (f->flags & GLV_CFG_RELOADABLE) ? "yes" : "");
        cell(out, f->help);
        fputs(" |\n", out);
        if (f->children) {
            char child[300];
            snprintf(child, sizeof(child), "%s%s", path,
                     f->type == GLV_CFG_OBJECT_LIST ? "[]"
                     : f->type == GLV_CFG_MAP       ? ".NAME"
                                                    : "");
            rows(out, child, f->type == GLV_CFG_MAP ? f->children[0].children : f->children);
        }
    }
}

void glv_config_reference(FILE *out, const char *section, const char *about,
                          const glv_config_field *schema)
{
    fprintf(out, "### `%s:`\n\n", section);
    if (about && *about)
        fprintf(out, "%s\n\n", about);
    if (!schema || !schema->key) {
        fputs("Takes no settings.\n\n", out);
        return;
    }
    fputs("| key | type | default | reload | meaning |\n|---|---|---|---|---|\n", out);
    rows(out, section, schema);
    fputc('\n', out);
}
