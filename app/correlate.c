/* correlate.c - the correlation stage as analyze and run drive it: either
 * one correlator called inline by the thread that decodes (shards = 0), or
 * the pipeline (pipeline.h) with S correlator threads fed by P producers.
 * Both subcommands call the same five functions whatever the choice, so
 * there is one loop per subcommand, not two.
 *
 * Records go to the consumers registered with the fan-out (fanout.h):
 * inline, the correlator's sink is the fan-out's sink of shard 0; with
 * shards, each shard asks the fan-out for its own on its thread and tells
 * it when it runs dry (fan_shard_idle).
 */
#include "app.h"

#include <stdlib.h>
#include <string.h>

int app_corr_open(app_corr_t *a, const app_corr_config_t *cfg, fan_t *fan, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->fan = fan;
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
        corr_sink_t sink = fan_shard_sink(fan, 0);
        a->corr = corr_new(&cfg->corr, &sink);
        if (!a->corr) goto oom;
        a->la.min_streams = CORR_LOOKAHEAD_MIN_STREAMS;
        return 0;
    }
    pl_config_t pc = {.shards = cfg->shards,
                      .producers = a->producers,
                      .queue_bytes = cfg->queue_bytes,
                      .lossless = cfg->lossless,
                      .corr = cfg->corr};
    a->pl = pl_new(&pc, fan_shard_sink, fan_shard_idle, fan, err, errlen);
    if (!a->pl) {
        app_corr_close(a);
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
        *next_expire = f->ts_ns - f->ts_ns % NS_PER_SEC + NS_PER_SEC;
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
}

const corr_stats_t *app_corr_stats(app_corr_t *a)
{
    if (!a->pl) return corr_stats(a->corr);
    pl_corr_stats(a->pl, &a->sum);
    return &a->sum;
}

void app_corr_close(app_corr_t *a)
{
    if (a->pl) pl_free(a->pl);
    corr_free(a->corr);
    free(a->feeds);
    memset(a, 0, sizeof *a);
}
