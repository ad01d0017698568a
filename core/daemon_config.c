/* galvani core — the schema of the sections the core reads itself. */
#include "daemon-internal.h"
#include "db-internal.h"
#include "http-internal.h"
#include "ws-internal.h"

static const char *const log_levels[] = {"err", "warning", "notice", "info", "debug", NULL};

static const glv_config_field plugin_entry_schema[] = {
    {.key = "name",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_REQUIRED,
     .help = "plugin name; loads NAME.so and reads the section NAME"},
    {.key = "path", .type = GLV_CFG_STRING, .help = "explicit path of the shared object"},
    {.key = "optional",
     .type = GLV_CFG_BOOL,
     .default_text = "false",
     .help = "a failing optional plugin is logged and left out instead of stopping galvanid"},
    {0},
};

const glv_config_field glv_core_config_schema[] = {
    {.key = "node_id",
     .type = GLV_CFG_STRING,
     .help = "unique id of this process among those sharing the database (default host-pid)"},
    {.key = "log_level",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "info",
     .choices = log_levels,
     .help = "most verbose priority logged"},
    {.key = "plugin_dirs",
     .type = GLV_CFG_STRING_LIST,
     .help = "directories searched for NAME.so (after $GLV_PLUGIN_PATH)"},
    {.key = "plugins",
     .type = GLV_CFG_OBJECT_LIST,
     .children = plugin_entry_schema,
     .help = "plugins to load; dependencies decide the order"},
    {.key = "workers",
     .type = GLV_CFG_INT,
     .default_text = "0",
     .min = 0,
     .max = 256,
     .help = "worker threads for blocking work (0: one per CPU)"},
    {.key = "hook_timeout",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "5s",
     .min = 1,
     .max = 600000,
     .help = "default deadline of a filter chain"},
    {.key = "shutdown_timeout",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "30s",
     .min = 0,
     .max = 3600000,
     .help = "how long SIGTERM waits for connections and queries to drain"},
    {0},
};

const glv_config_field glv_root_config_schema[] = {
    {.key = "galvani", .type = GLV_CFG_OBJECT, .children = glv_core_config_schema},
    {.key = "database", .type = GLV_CFG_OBJECT, .children = glv_db_config_schema},
    {.key = "http", .type = GLV_CFG_OBJECT, .children = glv_http_config_schema},
    {.key = "websocket", .type = GLV_CFG_OBJECT, .children = glv_ws_config_schema},
    {0},
};
