/* quality_row.c - a stream's quality object as streams.quality stores it:
 * only what the row's columns do not hold and what differs from the usual
 * value (schema/0006).
 *
 * The contract's quality object (encode.h enc_stream_quality_json) is ~20
 * keys, most of them zero on a healthy stream, and four (mos, r_factor,
 * mos_min, effective_loss_pct) are columns of the same row already; as
 * jsonb it took ~716 B of a ~1,170 B row.  Stored here, it keeps:
 *  - discards, discards_adaptive, burst_density, gap_density,
 *    burst_duration_ms, gap_duration_ms, burst_mean_len: when not 0 at the
 *    contract's rounding (an unknown value is written as null);
 *  - loss_runs: when any bin is not 0 (then every bin);
 *  - mos_scale: when scored on the narrowband-equivalent scale (a scored
 *    stream's scale is otherwise "narrowband", an unscored one's null);
 *  - emodel: as the contract writes it, without rtt_ms and ptime_ms when
 *    unknown, and with the key of its source sentence ("src") instead of
 *    the sentence when it is one of st__emodel_sources (the built-in
 *    codec rows', ~110 B; schema/0006 has the same list as the table
 *    siphon_emodel_sources); absent when the codec was not scored (null);
 *  - jb_adaptive_max_ms, as the contract writes it.
 * It never has a "mos" key, which every full object has: that is how a
 * reader tells the two apart.  siphon_stream_quality(streams) (schema/0006)
 * gives the full object back from either, with the same keys and values as
 * the contract (numbers compare equal; trailing zeros of the rounding may
 * differ); the web API and tests read it so.
 */
#include "st_internal.h"

#include <math.h>
#include <string.h>

const st__emodel_source_t st__emodel_sources[] = {
    {"g711", "G.113 Appendix I, widely quoted (G.711 with Appendix I PLC; use G711-NOPLC for "
             "endpoints without PLC)"},
    {"g711-noplc", "G.113 Appendix I, widely quoted (G.711 without PLC)"},
    {"g729",
     "G.113 Appendix I, widely quoted (G.729A + VAD; SDP G729 does not tell G.729 from G.729A)"},
    {"g723", "G.113 Appendix I (G.723.1 6.3 kbit/s), commonly quoted, unconfirmed"},
    {"g726-32", "Ie: G.113 Appendix I (G.726 32 kbit/s), commonly quoted, unconfirmed; Bpl: "
                "configurable, sources disagree (4.3 assumes no PLC)"},
    {"gsm", "Ie: G.113 Appendix I (GSM 06.10 full rate), commonly quoted, unconfirmed; Bpl: "
            "configurable, sources disagree"},
    {"gsm-efr", "configurable, sources disagree"},
    {"ilbc",
     "configurable, sources disagree (Ie 10..15 and Bpl 20..32 are quoted for 15.2/13.3 kbit/s)"},
    {"amr", "Ie: G.113 Appendix I (AMR 12.2 kbit/s), commonly quoted, unconfirmed; Bpl: "
            "configurable, sources disagree"},
    {"g722", "configurable, sources disagree: narrowband-equivalent (G.711-grade Ie 0, PLC Bpl "
             "25.1); G.113 gives Ie,wb 13 on the G.107.1 scale"},
    {"amr-wb", "configurable, sources disagree: narrowband-equivalent (Ie 0 assumed at 12.65 "
               "kbit/s and above)"},
    {"opus", "configurable, sources disagree: narrowband-equivalent (Ie 0 at wideband bitrates, "
             "PLC Bpl as G.711 Appendix I)"},
};
const size_t st__n_emodel_sources = sizeof st__emodel_sources / sizeof st__emodel_sources[0];

static const char *source_key(const char *source)
{
    for (size_t i = 0; i < st__n_emodel_sources; i++)
        if (strcmp(st__emodel_sources[i].source, source) == 0) return st__emodel_sources[i].key;
    return NULL;
}

static bool is_zero(double v, int decimals)
{
    return fabs(v) < 0.5 * pow(10, -decimals);
}

/* A figure the contract writes as null when negative or unknown (known
 * false); omitted when it rounds to 0. */
static void figure(json_writer_t *w, const char *key, double v, int decimals, bool known)
{
    if (!known || v < 0 || !isfinite(v)) {
        json_key(w, key), json_null(w);
    } else if (!is_zero(v, decimals)) {
        json_key(w, key), json_double(w, v, decimals);
    }
}

static void opt_double(json_writer_t *w, const char *key, double v, int decimals)
{
    if (v >= 0 && isfinite(v)) json_key(w, key), json_double(w, v, decimals);
}

void st__quality_json(buf_t *out, const corr_stream_t *s)
{
    const sq_result_t *q = &s->quality;
    bool any = q->expected > 0;
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    if (q->scored && q->mos_scale && strcmp(q->mos_scale, "narrowband") != 0)
        json_key(&w, "mos_scale"), json_cstr(&w, q->mos_scale);
    figure(&w, "discards", q->discards, 0, q->have_clock);
    figure(&w, "discards_adaptive", q->discards_adaptive, 0, q->have_clock);
    figure(&w, "burst_density", q->bm.burst_density, 2, any);
    figure(&w, "gap_density", q->bm.gap_density, 2, any);
    figure(&w, "burst_duration_ms", q->bm.burst_duration_ms, 1, any && q->ptime_ms > 0);
    figure(&w, "gap_duration_ms", q->bm.gap_duration_ms, 1, any && q->ptime_ms > 0);
    figure(&w, "burst_mean_len", q->bm.burst_mean_len, 3, any);
    bool runs = false;
    for (int i = 0; i < LOSS_RUN_BINS; i++)
        runs |= q->bm.runs[i] != 0;
    if (runs) {
        static const char *const bins[LOSS_RUN_BINS] = {"1", "2", "3", "4", "5-9", "10+"};
        json_key(&w, "loss_runs");
        json_obj_begin(&w);
        for (int i = 0; i < LOSS_RUN_BINS; i++)
            json_key(&w, bins[i]), json_uint(&w, q->bm.runs[i]);
        json_obj_end(&w);
    }
    if (q->codec_source) {
        json_key(&w, "emodel");
        json_obj_begin(&w);
        json_key(&w, "ie"), json_double(&w, q->ie, 2);
        json_key(&w, "bpl"), json_double(&w, q->bpl, 2);
        json_key(&w, "burst_r"), json_double(&w, q->bm.burst_r, 3);
        json_key(&w, "delay_ms"), json_double(&w, q->delay_ms, 1);
        opt_double(&w, "rtt_ms", q->rtt_ms, 1);
        opt_double(&w, "ptime_ms", q->ptime_ms > 0 ? q->ptime_ms : -1, 1);
        const char *key = source_key(q->codec_source);
        if (key)
            json_key(&w, "src"), json_cstr(&w, key);
        else
            json_key(&w, "source"), json_cstr(&w, q->codec_source);
        json_obj_end(&w);
    }
    json_key(&w, "jb_adaptive_max_ms");
    if (q->have_clock && q->jb_adaptive_max_ms >= 0)
        json_double(&w, q->jb_adaptive_max_ms, 1);
    else
        json_null(&w);
    json_obj_end(&w);
}
