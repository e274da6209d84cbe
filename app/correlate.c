/* correlate.c - the correlation stage as analyze and run drive it: either
 * one correlator called inline by the thread that decodes (shards = 0), or
 * the pipeline (pipeline.h) with S correlator threads fed by P producers.
 * Both subcommands call the same five functions whatever the choice, so
 * there is one loop per subcommand, not two.
 *
 * Records: inline, the caller's app_records_t is the sink.  With shards,
 * every shard gets a copy of its settings (app_shard_records_t) and writes
 * to the same FILE; at the end the calls written by the shards are added
 * to the caller's count, so its summary ("no calls found") is right.
 */
#include "app.h"

#include <stdlib.h>
#include <string.h>

int app_corr_open(app_corr_t *a, const app_corr_config_t *cfg, app_records_t *rec, char *err,
                  size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->rec = rec;
    a->producers = cfg->producers ? cfg->producers : 1;
    a->feeds = calloc(a->producers, sizeof *a->feeds);
    if (!a->feeds) goto oom;
    for (uint32_t p = 0; p < a->producers; p++)
        a->feeds[p] = (app_corr_feed_t){.a = a, .producer = p};
    if (cfg->shards == 0) {
        if (a->producers != 1) {
            snprintf(err, errlen, "several capture threads need correlator threads (shards)");
            return -1;
        }
        corr_sink_t sink = app_records_sink(rec);
        a->corr = corr_new(&cfg->corr, &sink);
        if (!a->corr) goto oom;
        a->la.min_streams = CORR_LOOKAHEAD_MIN_STREAMS;
        return 0;
    }
    if (!app_shard_records_init(&a->shard_recs, cfg->shards, rec)) goto oom;
    pl_config_t pc = {.shards = cfg->shards,
                      .producers = a->producers,
                      .queue_bytes = cfg->queue_bytes,
                      .lossless = cfg->lossless,
                      .corr = cfg->corr};
    a->pl =
        pl_new(&pc, app_shard_records_sink, app_shard_records_idle, &a->shard_recs, err, errlen);
    if (!a->pl) {
        app_shard_records_free(&a->shard_recs);
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory setting up the correlator tables");
    app_corr_close(a);
    return -1;
}

void app_corr_on_datagram(void *feed, const datagram_t *dg)
{
    app_corr_feed_t *f = feed;
    if (f->a->pl)
        pl_submit(f->a->pl, f->producer, dg);
    else
        corr_on_datagram(f->a->corr, dg);
}

void app_corr_prefetch(app_corr_t *a, cap_decoder_t *dec, const cap_frame_t *frame)
{
    datagram_t hint;
    bool have = frame && cap_decoder_prefetch(dec, frame, &hint);
    if (!a->pl) corr_prefetch(a->corr, &a->la, have ? &hint : NULL);
}

void app_corr_frame(app_corr_t *a, uint32_t producer, cap_decoder_t *dec, int64_t *next_expire,
                    const cap_frame_t *f)
{
    if (f->ts_ns >= *next_expire) {
        if (*next_expire) {
            cap_decoder_expire(dec, f->ts_ns);
            app_corr_expire(a, producer, f->ts_ns);
        }
        *next_expire = ts_add_sat(f->ts_ns - f->ts_ns % NS_PER_SEC, NS_PER_SEC);
    }
    cap_decode_frame(dec, f);
}

void app_corr_expire(app_corr_t *a, uint32_t producer, int64_t now_ns)
{
    if (a->pl)
        pl_expire(a->pl, producer, now_ns);
    else
        corr_expire(a->corr, now_ns);
}

void app_corr_idle(app_corr_t *a, uint32_t producer, int64_t now_ns)
{
    if (a->pl) pl_idle(a->pl, producer, now_ns);
}

void app_corr_finish(app_corr_t *a)
{
    if (a->finished) return;
    a->finished = true;
    if (!a->pl) {
        corr_flush(a->corr);
        return;
    }
    for (uint32_t p = 0; p < a->producers; p++)
        pl_producer_done(a->pl, p);
    pl_join(a->pl);
    a->rec->calls_written += app_shard_records_calls(&a->shard_recs);
}

const corr_stats_t *app_corr_stats(app_corr_t *a)
{
    if (!a->pl) return corr_stats(a->corr);
    pl_corr_stats(a->pl, &a->sum);
    return &a->sum;
}

uint64_t app_corr_calls_written(app_corr_t *a)
{
    return a->pl && !a->finished ? a->rec->calls_written + app_shard_records_calls(&a->shard_recs)
                                 : a->rec->calls_written;
}

void app_corr_close(app_corr_t *a)
{
    if (a->pl) {
        pl_free(a->pl);
        app_shard_records_free(&a->shard_recs);
    }
    corr_free(a->corr);
    free(a->feeds);
    memset(a, 0, sizeof *a);
}
