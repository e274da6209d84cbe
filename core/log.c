/* log.c - line-oriented logging to stderr.  One write per line so that lines
 * from several threads never interleave; the level macros in core.h skip
 * argument evaluation below the configured level. */
#include "core.h"

#include <stdio.h>
#include <unistd.h>

log_level_t log_level_current = LOG_LVL_WARN;

void log_set_level(log_level_t lvl)
{
    log_level_current = lvl;
}

void log_write(log_level_t lvl, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    char line[1024];
    int k = snprintf(line, sizeof line, "siphon: %s: ", names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + k, sizeof line - (size_t)k - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)k + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
