/* sink_file.c - Elastic Common Schema JSON lines appended to a file
 * (ecs:/PATH), for Filebeat or Elastic Agent to ship.
 *
 * One document per line (fmt_json.c), a batch in one write(2) on an
 * O_APPEND descriptor, so a reader tailing the file never sees half a
 * batch interleaved with another writer's lines.  The file is opened
 * (created 0640) when the sink first delivers and again after a failed
 * write (a full disk, a removed directory: retried with the hub's
 * back-off).  The descriptor is kept, so rotate with logrotate's
 * copytruncate (a file moved away keeps receiving the lines).
 */
#include "alert_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const alert__sink_env_t *env;
    int fd;
    buf_t out;
} alert__ecs_t;

static void *alert__ecs_create(const alert__sink_env_t *env, char *err, size_t errlen)
{
    alert__ecs_t *t = calloc(1, sizeof *t);
    if (!t) return snprintf(err, errlen, "out of memory"), NULL;
    t->env = env;
    t->fd = -1;
    buf_init(&t->out);
    return t;
}

static int alert__ecs_open(void *self, char *err, size_t errlen)
{
    alert__ecs_t *t = self;
    t->fd = open(t->env->spec->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (t->fd < 0) {
        snprintf(err, errlen, "%s: %s", t->env->spec->path, strerror(errno));
        return -1;
    }
    return 0;
}

static uint32_t alert__ecs_send(void *self, alert__rec_t *const *recs, uint32_t n, bool *perm,
                                char *err, size_t errlen)
{
    alert__ecs_t *t = self;
    *perm = false;
    buf_reset(&t->out);
    for (uint32_t i = 0; i < n; i++) {
        alert__fmt_ecs(&t->out, &recs[i]->a, t->env->hostname);
        buf_putc(&t->out, '\n');
    }
    const char *p = t->out.data;
    size_t left = t->out.len;
    while (left) {
        ssize_t w = write(t->fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: %s", t->env->spec->path, strerror(w < 0 ? errno : EIO));
            return 0;
        }
        p += w, left -= (size_t)w;
    }
    return n;
}

static void alert__ecs_close(void *self)
{
    alert__ecs_t *t = self;
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
}

static void alert__ecs_free(void *self)
{
    alert__ecs_t *t = self;
    alert__ecs_close(t);
    buf_free(&t->out);
    free(t);
}

const alert__sink_ops_t alert__ecs_file_ops = {
    .name = "ecs",
    .max_batch = 64,
    .create = alert__ecs_create,
    .open = alert__ecs_open,
    .send = alert__ecs_send,
    .close = alert__ecs_close,
    .free = alert__ecs_free,
};
