/* galvani core — logging to stderr with syslog priority prefixes. */
#include "log-internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int log_max_priority = GLV_LOG_INFO;

void glv_log_set_level(int max_priority)
{
    if (max_priority >= GLV_LOG_ERR && max_priority <= GLV_LOG_DEBUG)
        log_max_priority = max_priority;
}

int glv_log_level(void)
{
    return log_max_priority;
}

int glv_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int priority;
    } levels[] = {{"err", GLV_LOG_ERR},       {"error", GLV_LOG_ERR}, {"warning", GLV_LOG_WARNING},
                  {"notice", GLV_LOG_NOTICE}, {"info", GLV_LOG_INFO}, {"debug", GLV_LOG_DEBUG}};
    for (size_t i = 0; name && i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcasecmp(name, levels[i].name) == 0)
            return levels[i].priority;
    return -1;
}

void glv_vlog(int priority, const char *who, const char *fmt, va_list ap)
{
    if (priority > log_max_priority)
        return;
    char line[2048];
    int n = snprintf(line, sizeof(line), "<%d>%s: ", priority, who ? who : "core");
    if (n < 0)
        return;
    if ((size_t)n < sizeof(line)) {
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    /* One line per message: newlines inside the text would split priorities. */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

void glv_log(int priority, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glv_vlog(priority, who, fmt, ap);
    va_end(ap);
}

static void host_log(glv_plugin *p, int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glv_vlog(priority, p ? p->name : "core", fmt, ap);
    va_end(ap);
}

void glv_log_fill_host(glv_host *h)
{
    h->log = host_log;
}
