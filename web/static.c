/* static.c - the built front end (web/ui, bundled by esbuild at build time
 * and installed under web.ui_dir): a few files read once into memory.
 *
 * Only the names of the table below are served (no path from the request
 * ever reaches the file system, so there is no traversal to get wrong);
 * any other path that is not /api/ gets index.html, the single page
 * application's entry, so a reload of /calls/UUID works.  index.html is
 * A binary run from its build tree falls back to the bundle built there
 * when web.ui_dir holds none.  index.html is never cached; the bundle may be cached for an hour
 * (its URL does not change between builds, so not longer).
 */
#include "web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path, *file, *type, *cache;
} static__file_t;

static const static__file_t static__files[] = {
    {"/app.js", "app.js", "text/javascript; charset=utf-8", "private, max-age=3600"},
    {"/app.css", "app.css", "text/css; charset=utf-8", "private, max-age=3600"},
    {"/favicon.svg", "favicon.svg", "image/svg+xml", "private, max-age=86400"},
    {"/", "index.html", "text/html; charset=utf-8", "no-cache"},
};
#define STATIC__N (sizeof static__files / sizeof static__files[0])

static int static__read(const char *dir, const char *name, buf_t *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char b[16384];
    size_t n;
    while ((n = fread(b, 1, sizeof b, f)) > 0)
        buf_append(out, b, n);
    fclose(f);
    return 0;
}

void web__static(web_t *w, const web__req_t *rq, web__resp_t *rs)
{
    const static__file_t *f = &static__files[STATIC__N - 1];
    for (size_t i = 0; i < STATIC__N - 1; i++)
        if (strcmp(rq->path, static__files[i].path) == 0) f = &static__files[i];
    buf_reset(&rs->body);
    int rc = static__read(w->cfg.ui_dir, f->file, &rs->body);
#ifdef SIPHON_WEB_UI_BUILD_DIR
    if (rc != 0) rc = static__read(SIPHON_WEB_UI_BUILD_DIR, f->file, &rs->body);
#endif
    if (rc != 0) {
        rs->status = 404;
        rs->content_type = "text/plain; charset=utf-8";
        buf_reset(&rs->body);
        buf_printf(&rs->body, "not found (web.ui_dir holds no built front end)\n");
        return;
    }
    rs->status = 200;
    rs->content_type = f->type;
    rs->cache = f->cache;
}
