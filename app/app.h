/* app.h - the siphon command line: subcommands that wire the components
 * together.
 *
 * The app owns no protocol logic and no formatting: it reads options and
 * the configuration, registers the consumers with the fan-out (fanout.h;
 * the table/NDJSON writer is output.h), and drives capture -> correlator.
 */
#ifndef SIPHON_APP_H
#define SIPHON_APP_H

#include "capture.h"
#include "core.h"
#include "correlator.h"
#include "fanout.h"
#include "output.h"
#include "pipeline.h"
#include "proto.h"

#include <stdio.h>

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* The correlation stage (correlate.c): one correlator inline (shards = 0)
 * or the pipeline's shard threads; analyze and run drive both alike. */
typedef struct {
    corr_config_t corr;
    uint32_t shards;    /* 0: inline, in the producer's thread */
    uint32_t producers; /* threads that feed datagrams (0 = 1) */
    size_t queue_bytes; /* pipeline ring per producer and shard */
    bool lossless;      /* files: wait for room; live: drop and count */
} app_corr_config_t;

typedef struct app_corr app_corr_t;
typedef struct {
    app_corr_t *a;
    uint32_t producer;
} app_corr_feed_t; /* the user pointer of app_corr_on_datagram */

struct app_corr {
    corr_t *corr;           /* inline */
    pl_t *pl;               /* or shards */
    fan_t *fan;             /* the consumers: their sinks are the shards' */
    app_corr_feed_t *feeds; /* one per producer */
    uint32_t producers;
    bool finished;
    corr_stats_t sum;
    corr_lookahead_t la; /* inline: corr_prefetch's ring */
};

/* The consumers in fan are started: inline, shard 0's sink is the
 * correlator's; with shards, the pipeline asks fan for each shard's. */
int app_corr_open(app_corr_t *a, const app_corr_config_t *cfg, fan_t *fan, char *err,
                  size_t errlen);
/* datagram_cb_pt: user is &a->feeds[producer]. */
void app_corr_on_datagram(void *feed, const datagram_t *dg);
/* Look-ahead: frame (NULL: none) will be decoded by dec and fed to the
 * correlation stage CORR_LOOKAHEAD_DIST frames from now; called once per
 * frame decoded.  Starts loading what both will need (cap_decoder_prefetch,
 * corr_prefetch inline; shards look ahead in their own rings). */
void app_corr_prefetch(app_corr_t *a, cap_decoder_t *dec, const cap_frame_t *frame);
/* One frame of a producer through dec into the stage, with the expiry rule
 * analyze and run share: at the first frame of each new second of packet
 * time the decoder and the stage expire first.  *next_expire is the
 * producer's own (0 before its first frame). */
void app_corr_frame(app_corr_t *a, uint32_t producer, cap_decoder_t *dec, int64_t *next_expire,
                    const cap_frame_t *f);
void app_corr_expire(app_corr_t *a, uint32_t producer, int64_t now_ns);
/* Producer has nothing to submit (live, between polls): pl_idle. */
void app_corr_idle(app_corr_t *a, uint32_t producer, int64_t now_ns);
/* End of input: every call in flight is emitted (shards: joined). */
void app_corr_finish(app_corr_t *a);
const corr_stats_t *app_corr_stats(app_corr_t *a);
void app_corr_close(app_corr_t *a);

#endif /* SIPHON_APP_H */
