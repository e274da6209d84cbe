/* static.c - the built front end (web/ui, bundled by esbuild at build time
 * and installed under web.ui_dir): a few files read once into memory, each
 * also gzip-compressed once (zlib, level 9) for browsers that accept it --
 * this libwebsockets build has no stream compression, and the bundle
 * shrinks about 3:1.
 *
 * Only the names of the table below are served (no path from the request
 * ever reaches the file system, so there is no traversal to get wrong);
 * any other path that is not /api/ gets index.html, the single page
 * application's entry.  A binary run from its build tree falls back to the
 * bundle built there when web.ui_dir holds none.  index.html is never
 * cached; the bundle may be cached for an hour (its URL does not change
 * between builds, so not longer).
 */
#include "web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

struct web__asset {
    bool loaded, found;
    buf_t raw, gz;
};

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

/* gzip (RFC 1952) of in into out; empty on failure (then served raw). */
static void static__gzip(const buf_t *in, buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return;
    uLong cap = deflateBound(&z, (uLong)in->len);
    buf_free(out);
    out->data = malloc(cap);
    if (!out->data) {
        deflateEnd(&z);
        out->len = out->cap = 0;
        return;
    }
    out->cap = cap;
    z.next_in = (Bytef *)in->data;
    z.avail_in = (uInt)in->len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    out->len = rc == Z_STREAM_END ? z.total_out : 0;
    deflateEnd(&z);
}

static struct web__asset *static__asset(web_t *w, size_t i)
{
    if (!w->assets) {
        w->assets = calloc(STATIC__N, sizeof *w->assets);
        if (!w->assets) return NULL;
    }
    struct web__asset *a = &w->assets[i];
    if (a->loaded) return a;
    a->loaded = true;
    buf_init(&a->raw);
    buf_init(&a->gz);
    int rc = static__read(w->cfg.ui_dir, static__files[i].file, &a->raw);
#ifdef SIPHON_WEB_UI_BUILD_DIR
    if (rc != 0) {
        buf_reset(&a->raw);
        rc = static__read(SIPHON_WEB_UI_BUILD_DIR, static__files[i].file, &a->raw);
    }
#endif
    a->found = rc == 0;
    if (a->found && a->raw.len > 1024) static__gzip(&a->raw, &a->gz);
    return a;
}

void web__static(web_t *w, const web__req_t *rq, web__resp_t *rs)
{
    size_t k = STATIC__N - 1;
    for (size_t i = 0; i < STATIC__N - 1; i++)
        if (strcmp(rq->path, static__files[i].path) == 0) k = i;
    const static__file_t *f = &static__files[k];
    struct web__asset *a = static__asset(w, k);
    buf_reset(&rs->body);
    if (!a || !a->found) {
        rs->status = 404;
        rs->content_type = "text/plain; charset=utf-8";
        buf_printf(&rs->body, "not found (web.ui_dir holds no built front end)\n");
        return;
    }
    bool gz = rq->gzip_ok && a->gz.len > 0 && a->gz.len < a->raw.len;
    const buf_t *src = gz ? &a->gz : &a->raw;
    buf_append(&rs->body, src->data, src->len);
    rs->encoding = gz ? "gzip" : NULL;
    rs->status = 200;
    rs->content_type = f->type;
    rs->cache = f->cache;
}

void web__static_free(web_t *w)
{
    if (!w->assets) return;
    for (size_t i = 0; i < STATIC__N; i++) {
        buf_free(&w->assets[i].raw);
        buf_free(&w->assets[i].gz);
    }
    free(w->assets);
    w->assets = NULL;
}
