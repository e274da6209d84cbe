/* log.c - line-oriented logging to stderr, or to a file (log.file).  One
 * write per line so that lines from several threads never interleave; the
 * level macros in core.h skip argument evaluation below the configured
 * level.  The level is atomic so SIGHUP can change it while threads log.
 *
 * log_open switches to a file (append, created 0640) and, called again,
 * reopens it (after logrotate moved it away): the new file is dup2'ed onto
 * the descriptor writers already use, so a line is never written to a
 * closed descriptor.  A failed reopen keeps the old file.  Messages are
 * made inert (text.c) before they are written. */
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
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mlen = m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1;
    /* A message may quote wire text (a User-Agent, a file name): the whole
     * line goes through text_inert, so no byte of it can drive the
     * terminal or forge a second log line. */
    buf_t line;
    buf_init(&line);
    buf_printf(&line, "siphon: %s: ", names[lvl]);
    text_inert(&line, msg, mlen);
    buf_putc(&line, '\n');
    ssize_t w = write(log_fd, line.data, line.len);
    (void)w;
    buf_free(&line);
}
