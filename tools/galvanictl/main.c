/* galvanictl — the galvani administration command. */
#include "config-internal.h"
#include "ctl.h"
#include "daemon-internal.h"
#include "loader-internal.h"
#include "log-internal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command_group {
    const char *name;
    int needs_config; /* reads the configuration file and the plugins */
    int (*run)(int argc, char **argv, const glv_ctl_env *env);
    const char *help;
};

static const struct command_group groups[] = {
    {"db", 1, glv_ctl_db, "db migrate | db status      database schema migrations"},
    {"tariff", 0, glv_ctl_tariff,
     "tariff price --tariff T.json --cdr C.json   re-price an OCPI CDR offline"},
    {"charger", 1, glv_ctl_charger,
     "charger add|list|show|set-password|set-profile|accept|remove|import   the charger registry"},
    {"token", 1, glv_ctl_token, "token add|list|block|remove   the local token list"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: galvanictl [-c FILE] COMMAND ...\n"
                 "  -c FILE    configuration file (default $GALVANI_CONFIG or "
                 "/etc/galvani/galvani.yaml)\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        fprintf(out, "  %s\n", groups[i].help);
}

/* Everything a command that needs the configuration gets. */
struct ctl_state {
    glv_config_doc *doc;
    json_t *core_cfg, *db_cfg;
    glv_core *core;
    glv_loader *loader;
    glv_plugin_spec *specs;
    glv_migration_set *sets;
};

static void state_free(struct ctl_state *s)
{
    glv_loader_free(s->loader);
    glv_core_free(s->core);
    free(s->specs);
    free(s->sets);
    json_decref(s->core_cfg);
    json_decref(s->db_cfg);
    glv_config_free(s->doc);
}

static int load_environment(const char *path, struct ctl_state *s, glv_ctl_env *env)
{
    char *err = NULL;
    s->doc = glv_config_load(path, &err);
    if (!s->doc ||
        glv_config_section(s->doc, "galvani", glv_core_config_schema, &s->core_cfg, &err) != 0 ||
        glv_config_section(s->doc, "database", glv_db_config_schema, &s->db_cfg, &err) != 0) {
        fprintf(stderr, "galvanictl: %s\n", err ? err : "out of memory");
        free(err);
        return -1;
    }
    glv_log_set_level(GLV_LOG_WARNING);
    s->core = glv_core_new("galvanictl", 1);
    s->loader = s->core ? glv_loader_new(s->core) : NULL;
    json_t *plugins = json_object_get(s->core_cfg, "plugins");
    size_t n = json_array_size(plugins);
    s->specs = calloc(n + 1, sizeof(*s->specs));
    if (!s->loader || !s->specs) {
        fprintf(stderr, "galvanictl: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(plugins, i);
        s->specs[i].name = json_string_value(json_object_get(e, "name"));
        s->specs[i].path = json_string_value(json_object_get(e, "path"));
        s->specs[i].optional = json_is_true(json_object_get(e, "optional"));
    }
    const char *envpath = getenv("GLV_PLUGIN_PATH");
    if (envpath && *envpath) {
        char *copy = strdup(envpath), *save = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save))
            glv_loader_add_dir(s->loader, dir);
        free(copy);
    }
    json_t *dirs = json_object_get(s->core_cfg, "plugin_dirs");
    size_t i;
    json_t *v;
    json_array_foreach(dirs, i, v) glv_loader_add_dir(s->loader, json_string_value(v));
    if (json_array_size(dirs) == 0)
        glv_loader_add_dir(s->loader, GLV_PLUGIN_DIR);
    if (glv_loader_load(s->loader, s->specs, n, &err) != 0) {
        fprintf(stderr, "galvanictl: %s\n", err);
        free(err);
        return -1;
    }
    size_t np = 0;
    const glv_migration_set *ps = glv_loader_migrations(s->loader, &np);
    s->sets = calloc(np + 1, sizeof(*s->sets));
    if (!s->sets)
        return -1;
    s->sets[0].component = "core";
    s->sets[0].migrations = glv_core_migrations;
    if (np)
        memcpy(&s->sets[1], ps, np * sizeof(*ps));
    env->config_path = path;
    env->conninfo = json_string_value(json_object_get(s->db_cfg, "conninfo"));
    env->sets = s->sets;
    env->nsets = np + 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = getenv("GALVANI_CONFIG");
    if (!config || !*config)
        config = "/etc/galvani/galvani.yaml";
    int c;
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
        if (c == 'c') {
            config = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (strcmp(argv[optind], groups[i].name) != 0)
            continue;
        glv_ctl_env env = {.config_path = config};
        struct ctl_state state = {0};
        int rc = 1;
        if (!groups[i].needs_config || load_environment(config, &state, &env) == 0)
            rc = groups[i].run(argc - optind, argv + optind, &env);
        state_free(&state);
        return rc;
    }
    fprintf(stderr, "galvanictl: unknown command '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
}
