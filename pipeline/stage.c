/* stage.c - the correlation stage as analyze and run drive it: either
 * one correlator called inline by the thread that decodes (shards = 0), or
 * the pipeline (pipeline.h) with S correlator threads fed by P producers.
 * Both subcommands call the same five functions whatever the choice, so
 * there is one loop per subcommand, not two.
 *
 * Records go to the sinks make_sink gives (the app passes the fan-out's,
 * fanout.h): inline, the correlator's sink is shard 0's; with shards, each
 * shard asks for its own on its thread and calls on_idle when it runs dry.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pl_stage_open(pl_stage_t *a, const pl_stage_config_t *cfg, pl_make_sink_fn make_sink,
                  pl_idle_fn on_idle, void *user, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->producers = cfg->producers ? cfg->producers : 1;
    a->feeds = calloc(a->producers, sizeof *a->feeds);
    if (!a->feeds) goto oom;
    for (uint32_t p = 0; p < a->producers; p++)
        a->feeds[p] = (pl_stage_feed_t){.a = a, .producer = p};
    if (cfg->shards == 0) {
        if (a->producers != 1) {
            snprintf(err, errlen, "several capture threads need correlator threads (shards)");
            return -1;
        }
        corr_sink_t sink = make_sink(user, 0);
        a->corr = corr_new(&cfg->corr, &sink);
        if (!a->corr) goto oom;
        a->la.min_streams = CORR_LOOKAHEAD_MIN_STREAMS;
        return 0;
    }
    pl_config_t pc = {.shards = cfg->shards,
                      .producers = a->producers,
                      .queue_bytes = cfg->queue_bytes,
                      .lossless = cfg->lossless,
                      .frames = cfg->frames,
                      .corr = cfg->corr};
    a->pl = pl_new(&pc, make_sink, on_idle, user, err, errlen);
    if (!a->pl) {
        pl_stage_close(a);
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory setting up the correlator tables");
    pl_stage_close(a);
    return -1;
}

void pl_stage_on_datagram(void *feed, const datagram_t *dg)
{
    pl_stage_feed_t *f = feed;
    if (f->a->pl)
        pl_submit(f->a->pl, f->producer, dg);
    else
        corr_on_datagram(f->a->corr, dg);
}

void pl_stage_prefetch(pl_stage_t *a, cap_decoder_t *dec, const cap_frame_t *frame)
{
    datagram_t hint;
    bool have = frame && cap_decoder_prefetch(dec, frame, &hint);
    if (!a->pl) corr_prefetch(a->corr, &a->la, have ? &hint : NULL);
}

void pl_stage_frame(pl_stage_t *a, uint32_t producer, cap_decoder_t *dec, int64_t *next_expire,
                    const cap_frame_t *f)
{
    if (f->ts_ns >= *next_expire) {
        if (*next_expire) {
            cap_decoder_expire(dec, f->ts_ns);
            pl_stage_expire(a, producer, f->ts_ns);
        }
        *next_expire = ts_add_sat(f->ts_ns - f->ts_ns % NS_PER_SEC, NS_PER_SEC);
    }
    cap_decode_frame(dec, f);
}

void pl_stage_expire(pl_stage_t *a, uint32_t producer, int64_t now_ns)
{
    if (a->pl)
        pl_expire(a->pl, producer, now_ns);
    else
        corr_expire(a->corr, now_ns);
}

void pl_stage_idle(pl_stage_t *a, uint32_t producer, int64_t now_ns)
{
    if (a->pl) pl_idle(a->pl, producer, now_ns);
}

void pl_stage_finish(pl_stage_t *a)
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

const corr_stats_t *pl_stage_stats(pl_stage_t *a)
{
    if (!a->pl) return corr_stats(a->corr);
    pl_corr_stats(a->pl, &a->sum);
    return &a->sum;
}

void pl_stage_close(pl_stage_t *a)
{
    if (a->pl) pl_free(a->pl);
    corr_free(a->corr);
    free(a->feeds);
    memset(a, 0, sizeof *a);
}
