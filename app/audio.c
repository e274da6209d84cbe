/* audio.c - `siphon audio`: one call's voice as an audio file.
 *
 * Wiring only: the options, a source of frames -- a capture (--pcap FILE)
 * or the call's recordings in the packet store (record.h, record.dir) --
 * fed into the renderer (audio.h), its summary on stderr and the exit
 * status.  Captures whose SIP is not in clear (TLS, WebSocket over TLS)
 * name their streams with --caller-ssrc/--callee-ssrc and their SDES keys
 * with --srtp-key instead of a Call-ID.
 *
 * Exit status: 0 rendered; 1 input unreadable or output not written; 2
 * usage; 3 call not found; 4 the call has no RTP; 5 some voice in a codec
 * nothing decodes; 6 some SRTP could not be decrypted (wrong or missing
 * key).  With 5 and 6 the file is written when any stream could be
 * rendered (the others stay silent).
 */
#include "app.h"
#include "audio.h"
#include "config_map.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { AUDIO_EXIT_NO_CALL = 3, AUDIO_EXIT_NO_RTP, AUDIO_EXIT_CODEC, AUDIO_EXIT_SRTP };

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon audio CALL_ID [--pcap FILE] [-o OUT] [--format wav|flac|opus]\n"
               "                    [--mono-per-stream]\n"
               "       siphon audio --pcap FILE --caller-ssrc SSRC [--callee-ssrc SSRC]\n"
               "                    [--srtp-key caller|callee:SUITE:KEY]... [-o OUT]\n"
               "\n"
               "Renders a call's voice: each direction decoded (G.711, G.722, G.726, GSM,\n"
               "G.729, Opus) and placed on the call's timeline, silence for loss and holds,\n"
               "DTMF kept out; SRTP decrypted with the a=crypto keys of the SDP.  A stereo\n"
               "file, caller left, callee right, at 8 kHz (16 kHz when a side is wideband).\n"
               "\n"
               "  --pcap FILE            the capture (a whole capture or one call's pcap);\n"
               "                         without it, the call's recordings in the packet store\n"
               "                         (record.dir of -c FILE or /etc/siphon/siphon.conf,\n"
               "                         or --record.dir=DIR)\n"
               "  -o, --output OUT       the file (default CALL_ID.FORMAT, or audio.FORMAT)\n"
               "  --format F             wav (16-bit PCM, default), flac or opus (Ogg/Opus)\n"
               "  --mono-per-stream      one mono file per stream: OUT-N-caller|callee-SSRC.EXT\n"
               "  --caller-ssrc SSRC     without a Call-ID: a stream of the left channel\n"
               "  --callee-ssrc SSRC     without a Call-ID: a stream of the right channel\n"
               "  --srtp-key SIDE:SUITE:KEY  an SDES key that SIDE sends with, given out of band\n"
               "                         (SUITE as in RFC 4568, KEY base64 key||salt)\n"
               "  -c FILE, --SECTION.KEY=VALUE  configuration, as for every command\n"
               "  -h, --help             this help\n"
               "\n"
               "Exit status: 0 rendered, 1 input or output error, 2 usage, 3 call not found,\n"
               "4 no RTP, 5 a codec nothing decodes, 6 SRTP not decryptable (wrong or\n"
               "missing key); with 5 and 6 the rest of the call is still written.\n");
}

static bool parse_ssrc(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > 0xffffffffULL) return false;
    *out = (uint32_t)v;
    return true;
}

enum { OPT_FORMAT = 256, OPT_MONO, OPT_PCAP, OPT_CALLER_SSRC, OPT_CALLEE_SSRC, OPT_KEY };

typedef struct {
    const char *call_id, *out, *pcap;
    aud_format_t format;
    bool mono;
    uint32_t ssrc[2][8];
    int nssrc[2];
    char *keys[16];
    int nkeys;
} audio_options_t;

static int audio_options(int argc, char **argv, audio_options_t *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"mono-per-stream", no_argument, NULL, OPT_MONO},
        {"pcap", required_argument, NULL, OPT_PCAP},
        {"caller-ssrc", required_argument, NULL, OPT_CALLER_SSRC},
        {"callee-ssrc", required_argument, NULL, OPT_CALLEE_SSRC},
        {"srtp-key", required_argument, NULL, OPT_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->out = optarg;
            break;
        case OPT_FORMAT:
            if (!aud_format_parse(optarg, &o->format)) {
                fprintf(stderr, "siphon audio: --format: wav, flac or opus, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_MONO:
            o->mono = true;
            break;
        case OPT_PCAP:
            o->pcap = optarg;
            break;
        case OPT_CALLER_SSRC:
        case OPT_CALLEE_SSRC: {
            int side = ch == OPT_CALLER_SSRC ? 0 : 1;
            if (o->nssrc[side] == 8 || !parse_ssrc(optarg, &o->ssrc[side][o->nssrc[side]])) {
                fprintf(stderr, "siphon audio: %s: an SSRC (0x... or decimal), at most 8\n",
                        argv[optind - 2]);
                return 2;
            }
            o->nssrc[side]++;
            break;
        }
        case OPT_KEY:
            if (o->nkeys == 16) {
                fprintf(stderr, "siphon audio: at most 16 --srtp-key\n");
                return 2;
            }
            o->keys[o->nkeys++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) o->call_id = argv[optind++];
    if (optind < argc || (!o->call_id && o->nssrc[0] + o->nssrc[1] == 0)) {
        usage(stderr);
        return 2;
    }
    if (!o->pcap && !o->call_id) {
        fprintf(stderr, "siphon audio: without a Call-ID, --pcap FILE is needed\n");
        return 2;
    }
    return 0;
}

static int add_keys(aud_renderer_t *r, const audio_options_t *o)
{
    for (int i = 0; i < o->nkeys; i++) {
        char *spec = o->keys[i];
        char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        aud_side_t side;
        if (c1 && (size_t)(c1 - spec) == 6 && strncmp(spec, "caller", 6) == 0)
            side = AUD_SIDE_CALLER;
        else if (c1 && (size_t)(c1 - spec) == 6 && strncmp(spec, "callee", 6) == 0)
            side = AUD_SIDE_CALLEE;
        else
            c2 = NULL;
        if (!c2) {
            fprintf(stderr, "siphon audio: --srtp-key caller|callee:SUITE:KEY, not '%s'\n", spec);
            return 2;
        }
        char suite[64];
        snprintf(suite, sizeof suite, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        char err[256];
        if (aud_add_key(r, side, suite, c2 + 1, err, sizeof err) != 0) {
            fprintf(stderr, "siphon audio: %s\n", err);
            return 2;
        }
    }
    return 0;
}

/* One line per stream on stderr; the codec name comes from the SDP's
 * rtpmap (the wire), so it is made inert first. */
static void print_streams(const aud_renderer_t *r)
{
    buf_t codec;
    buf_init(&codec);
    for (uint32_t i = 0; i < aud_stream_count(r); i++) {
        aud_stream_info_t s;
        aud_stream_info(r, i, &s);
        buf_reset(&codec);
        text_inert_cstr(&codec, s.codec[0] ? s.codec : "-");
        buf_putc(&codec, '\0');
        fprintf(stderr,
                "siphon audio: stream %u %s ssrc 0x%08x %s%s: %llu packets, %llu decoded, "
                "%llu lost, %llu late, %llu dup, %llu dtmf, %llu cn",
                i + 1, s.side == AUD_SIDE_CALLER ? "caller" : "callee", s.ssrc, codec.data,
                s.srtp ? " (SRTP)" : "", (unsigned long long)s.packets,
                (unsigned long long)s.decoded, (unsigned long long)s.lost,
                (unsigned long long)s.late, (unsigned long long)s.duplicates,
                (unsigned long long)s.dtmf, (unsigned long long)s.comfort_noise);
        if (s.undecodable)
            fprintf(stderr, ", %llu undecodable (%s)", (unsigned long long)s.undecodable,
                    codec.data);
        if (s.auth_failures || s.no_key || s.replays)
            fprintf(stderr, ", SRTP: %llu auth failures, %llu without key, %llu replays",
                    (unsigned long long)s.auth_failures, (unsigned long long)s.no_key,
                    (unsigned long long)s.replays);
        fprintf(stderr, "; %.3f s from %.3f s\n", s.seconds, s.start_s);
    }
    buf_free(&codec);
}

/* Frames from the packet store (record.dir) into the renderer. */
static int store_frame(void *user, int64_t ts_ns, int linktype, const uint8_t *frame,
                       uint32_t caplen, uint32_t wirelen)
{
    (void)wirelen;
    aud_feed_frame(user, ts_ns, linktype, frame, caplen);
    return 0;
}

typedef struct {
    rec_store_t *store;
    aud_renderer_t *r;
    const char *call_id;
    bool siprec; /* render the SIPREC session recordings only */
    uint32_t failed;
} audio_store_walk_t;

static int store_recording(void *user, const rec_recording_t *rec)
{
    audio_store_walk_t *w = user;
    char err[256];
    if (w->siprec) { /* a recording session: its streams by the metadata (siprec_audio.c) */
        if (app_siprec_is_session(rec, w->call_id) &&
            app_siprec_audio_feed(w->store, rec, w->r, err, sizeof err) != 0) {
            fprintf(stderr, "siphon audio: %s\n", err);
            w->failed++;
        }
        return 0;
    }
    if (rec_call_packets(w->store, rec, store_frame, w->r, err, sizeof err) != 0) {
        fprintf(stderr, "siphon audio: %s\n", err);
        w->failed++;
    }
    return 0;
}

/* Every recording of the Call-ID in the store at dir, fed in capture
 * order.  0, 1 (store unreadable or a recording damaged), 3 (no
 * recording of it). */
static int feed_from_store(aud_renderer_t *r, const char *dir, const char *call_id, bool siprec)
{
    char err[512];
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    if (!s) {
        fprintf(stderr, "siphon audio: %s\n", err);
        return 1;
    }
    audio_store_walk_t w = {.store = s, .r = r, .call_id = call_id, .siprec = siprec};
    uint32_t n = rec_find(s, call_id, store_recording, &w);
    rec_store_close(s);
    if (n == 0) {
        fprintf(stderr, "siphon audio: no recording of Call-ID %s in %s\n", call_id, dir);
        return AUDIO_EXIT_NO_CALL;
    }
    return w.failed ? 1 : 0;
}

typedef struct {
    const char *call_id;
    bool found;
} audio_siprec_find_t;

static int find_siprec(void *user, const rec_recording_t *rec)
{
    audio_siprec_find_t *f = user;
    f->found = f->found || app_siprec_is_session(rec, f->call_id);
    return f->found;
}

/* Whether the store holds a SIPREC session recorded under call_id. */
static bool siprec_in_store(const char *dir, const char *call_id)
{
    char err[512];
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    if (!s) return false;
    audio_siprec_find_t f = {.call_id = call_id};
    rec_find(s, call_id, find_siprec, &f);
    rec_store_close(s);
    return f.found;
}

static int audio_main(int argc, char **argv, const siphon_config_t *cfg)
{
    audio_options_t o = {0};
    int rc = audio_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;

    aud_config_t acfg;
    aud_config_default(&acfg);
    acfg.call_id = o.call_id;
    /* a SIPREC recording session in the store: its streams are named by its
     * metadata, not by a caller's and a callee's SDP */
    bool siprec = !o.pcap && o.call_id && siprec_in_store(cfg->record.dir, o.call_id);
    if (siprec) acfg.call_id = NULL;
    char err[512];
    aud_renderer_t *r = aud_new(&acfg, err, sizeof err);
    if (!r) {
        fprintf(stderr, "siphon audio: %s\n", err);
        return 1;
    }
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < o.nssrc[s]; i++)
            aud_add_ssrc(r, (aud_side_t)s, o.ssrc[s][i]);
    if ((rc = add_keys(r, &o)) != 0) {
        aud_free(r);
        return rc;
    }

    int input_rc = 0;
    if (!o.pcap) { /* the packet store: record.dir of the configuration */
        input_rc = feed_from_store(r, cfg->record.dir, o.call_id, siprec);
        if (input_rc == AUDIO_EXIT_NO_CALL) {
            aud_free(r);
            return input_rc;
        }
        goto render;
    }
    const char *paths[1] = {o.pcap};
    cap_files_t *files = cap_files_open(paths, 1, err, sizeof err);
    if (!files) {
        fprintf(stderr, "siphon audio: %s\n", err);
        aud_free(r);
        return 1;
    }
    cap_frame_t fr;
    int k;
    while ((k = cap_files_next(files, &fr, err, sizeof err)) != 0) {
        if (k < 0) {
            fprintf(stderr, "siphon audio: %s\n", err);
            input_rc = 1;
            continue;
        }
        aud_feed_frame(r, fr.ts_ns, fr.linktype, fr.data, fr.caplen);
    }
    cap_files_close(files);

render:;
    char outbuf[1024];
    const char *out = o.out;
    if (!out) {
        /* CALL_ID.EXT with path separators and odd characters replaced */
        char name[256];
        snprintf(name, sizeof name, "%s", o.call_id ? o.call_id : "audio");
        for (char *p = name; *p; p++)
            if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == ' ') *p = '_';
        snprintf(outbuf, sizeof outbuf, "%s.%s", name[0] == '.' ? "audio" : name,
                 aud_format_ext(o.format));
        out = outbuf;
    }
    aud_status_t st = aud_finish(r, out, o.format, o.mono, err, sizeof err);
    print_streams(r);
    aud_summary_t sum;
    aud_summary(r, &sum);
    if (sum.streams_dropped || sum.samples_cut || sum.packets_cut)
        fprintf(stderr,
                "siphon audio: %llu streams over the cap, %llu samples and %llu packets past "
                "the cap\n",
                (unsigned long long)sum.streams_dropped, (unsigned long long)sum.samples_cut,
                (unsigned long long)sum.packets_cut);
    if (st == AUD_OK || st == AUD_ERR_CODEC || st == AUD_ERR_SRTP) {
        if (sum.seconds > 0)
            fprintf(stderr, "siphon audio: wrote %s%s: %.3f s at %u Hz\n", out,
                    o.mono ? " (one file per stream)" : "", sum.seconds, sum.rate);
    }
    if (st != AUD_OK) fprintf(stderr, "siphon audio: %s\n", err);
    aud_free(r);
    switch (st) {
    case AUD_OK:
        return input_rc;
    case AUD_ERR_NO_CALL:
        return AUDIO_EXIT_NO_CALL;
    case AUD_ERR_NO_RTP:
        return AUDIO_EXIT_NO_RTP;
    case AUD_ERR_CODEC:
        return AUDIO_EXIT_CODEC;
    case AUD_ERR_SRTP:
        return AUDIO_EXIT_SRTP;
    case AUD_ERR_OUTPUT:
        return 1;
    }
    return 1;
}

int cmd_audio(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    const char *def = access(CONFIG_DEFAULT_PATH, R_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    int rc = app_config_from_args("audio", &argc, argv, def, &cfg, NULL);
    if (rc == APP_CONFIG_OK)
        rc = audio_main(argc, argv, &cfg);
    else
        rc = 2;
    config_free(&cfg);
    return rc;
}
