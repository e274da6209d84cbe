/* log.c - line-oriented logging to stderr, or to a file (log.file).  One
 * write per line so that lines from several threads never interleave; the
 * level macros in core.h skip argument evaluation below the configured
 * level.  The level is atomic so SIGHUP can change it while threads log.
 *
 * log_open switches to a file (append, created 0640) and, called again,
 * reopens it (after logrotate moved it away): the new file is dup2'ed onto
 * the descriptor writers already use, so a line is never written to a
 * closed descriptor.  A failed reopen keeps the old file. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Atomic int log_level_current = LOG_LVL_WARN;
static _Atomic int log_fd = STDERR_FILENO;

void log_set_level(log_level_t lvl)
{
    log_level_current = (int)lvl;
}

int log_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
        return -1;
    }
    int cur = log_fd;
    if (cur == STDERR_FILENO) {
        log_fd = fd;
        return 0;
    }
    if (dup2(fd, cur) < 0) {
        snprintf(err, errlen, "cannot reopen log file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
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
    ssize_t w = write(log_fd, line, len);
    (void)w;
}
