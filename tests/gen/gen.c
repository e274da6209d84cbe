/* gen.c - siphon-gen command line: synthetic SIP calls with RTP into a pcap,
 * plus a truth file stating what an analyser must find in it.
 *
 * The options describe the traffic (calls, concurrency, codec, duration),
 * the impairments of the media (loss, bursts, jitter, reordering,
 * duplicates, sequence wrap, SSRC change), the signalling variants (fail
 * mix, digest challenge, forking, re-INVITE, TCP, fragmentation) and the
 * framing (IPv6, tunnels, SIP port).  Parsing only fills gen_opts_t; the
 * work is done by gen_run (gen_sched.c).  Output is a pure function of the
 * options, --seed included.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon-gen -o OUT.pcap [--truth OUT.ndjson] [options]\n"
               "  --seed N            random seed (default 1)\n"
               "  --calls N           number of calls (default 10)\n"
               "  --concurrency C     about C calls active at once (default 10)\n"
               "  --duration S        media seconds of each answered call (default 5)\n"
               "  --codec C           pcmu|pcma|g729|g722, with --audio also opus|g726|gsm\n"
               "                      (default pcmu)\n"
               "  --ptime MS          packetisation, 10..120 step 10 (default 20)\n"
               "  --loss PCT          random loss per direction\n"
               "  --burst-loss P,R    Gilbert-Elliott loss: P(good->bad), P(bad->good) in %%\n"
               "  --jitter MS         random extra delay 0..MS per packet (reorders)\n"
               "  --drift-ppm PPM     RTP senders' clocks run PPM fast (< 0: slow), -50000..50000\n"
               "  --reorder PCT       swap adjacent packets\n"
               "  --duplicate PCT     network duplicates of RTP packets (see gen_rtp.c)\n"
               "  --seq-start N       first RTP sequence number of every stream\n"
               "  --ssrc-change       caller's SSRC changes halfway (new seq/ts base)\n"
               "  --reinvite          mid-call re-INVITE moves the caller's RTP port\n"
               "  --fork              two 180s with different To tags, 200 from one\n"
               "  --fail-mix busy=P,cancel=P,reject=P,noanswer=P\n"
               "  --challenge PCT     INVITE answered 401 first, then resent\n"
               "  --tcp               SIP over TCP (handshake, split and merged segments)\n"
               "  --fragment          pad INVITEs past the MTU and fragment them\n"
               "  --ipv6              IPv6 addresses everywhere\n"
               "  --encap E           vlan|qinq|mpls|gre|ipip|vxlan|erspan2|erspan3\n"
               "  --sip-port N        SIP port (default 5060)\n"
               "  --orphan N          N extra RTP streams without signalling\n"
               "  --start-time EPOCH  time of the first call, seconds (default 1709294400)\n"
               "  --audio             real audio: a 440 Hz tone caller->callee, 1 kHz back,\n"
               "                      encoded by the codec's real encoder; truth gains the\n"
               "                      silent intervals (see gen_audio.c)\n"
               "  --srtp SUITE        with --audio: SRTP with SDES keys in the SDP\n"
               "                      (AES_CM_128_HMAC_SHA1_80|_32, AES_256_CM_HMAC_SHA1_80,\n"
               "                      AEAD_AES_128_GCM, AEAD_AES_256_GCM)\n"
               "  --srtp-bad-key      the SDP's keys are not the ones used to encrypt\n"
               "  --hold START,LEN    with --audio: both directions pause LEN s from START s\n"
               "  -q, --quiet         no summary on stderr\n");
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_fail_mix(const char *s, gen_opts_t *o)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", s);
    for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return false;
        *eq = '\0';
        double v;
        if (!parse_num(eq + 1, 0, 100, &v)) return false;
        if (strcmp(tok, "busy") == 0)
            o->fail_busy_pct = v;
        else if (strcmp(tok, "cancel") == 0)
            o->fail_cancel_pct = v;
        else if (strcmp(tok, "reject") == 0)
            o->fail_reject_pct = v;
        else if (strcmp(tok, "noanswer") == 0)
            o->fail_noanswer_pct = v;
        else
            return false;
    }
    return o->fail_busy_pct + o->fail_cancel_pct + o->fail_reject_pct + o->fail_noanswer_pct <=
           100.0;
}

static bool parse_encap(const char *s, gen_encap_t *e)
{
    static const char *names[] = {"none", "vlan",  "qinq",    "mpls",   "gre",
                                  "ipip", "vxlan", "erspan2", "erspan3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            *e = (gen_encap_t)i;
            return true;
        }
    return false;
}

enum {
    OPT_TRUTH = 256,
    OPT_SEED,
    OPT_CALLS,
    OPT_CONC,
    OPT_DURATION,
    OPT_CODEC,
    OPT_PTIME,
    OPT_LOSS,
    OPT_BURST,
    OPT_JITTER,
    OPT_DRIFT,
    OPT_REORDER,
    OPT_DUP,
    OPT_SEQ,
    OPT_SSRC,
    OPT_REINVITE,
    OPT_FORK,
    OPT_FAIL,
    OPT_CHALLENGE,
    OPT_TCP,
    OPT_FRAG,
    OPT_IPV6,
    OPT_ENCAP,
    OPT_SIPPORT,
    OPT_ORPHAN,
    OPT_START,
    OPT_AUDIO,
    OPT_SRTP,
    OPT_SRTP_BAD,
    OPT_HOLD,
};

int main(int argc, char **argv)
{
    gen_opts_t o = {
        .seed = 1,
        .calls = 10,
        .concurrency = 10,
        .duration_s = 5,
        .codec = CODEC_PCMU,
        .ptime_ms = 20,
        .seq_start = -1,
        .sip_port = 5060,
        .start_us = 1709294400LL * 1000000,
    };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"seed", required_argument, NULL, OPT_SEED},
        {"calls", required_argument, NULL, OPT_CALLS},
        {"concurrency", required_argument, NULL, OPT_CONC},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"codec", required_argument, NULL, OPT_CODEC},
        {"ptime", required_argument, NULL, OPT_PTIME},
        {"loss", required_argument, NULL, OPT_LOSS},
        {"burst-loss", required_argument, NULL, OPT_BURST},
        {"jitter", required_argument, NULL, OPT_JITTER},
        {"drift-ppm", required_argument, NULL, OPT_DRIFT},
        {"reorder", required_argument, NULL, OPT_REORDER},
        {"duplicate", required_argument, NULL, OPT_DUP},
        {"seq-start", required_argument, NULL, OPT_SEQ},
        {"ssrc-change", no_argument, NULL, OPT_SSRC},
        {"reinvite", no_argument, NULL, OPT_REINVITE},
        {"fork", no_argument, NULL, OPT_FORK},
        {"fail-mix", required_argument, NULL, OPT_FAIL},
        {"challenge", required_argument, NULL, OPT_CHALLENGE},
        {"tcp", no_argument, NULL, OPT_TCP},
        {"fragment", no_argument, NULL, OPT_FRAG},
        {"ipv6", no_argument, NULL, OPT_IPV6},
        {"encap", required_argument, NULL, OPT_ENCAP},
        {"sip-port", required_argument, NULL, OPT_SIPPORT},
        {"orphan", required_argument, NULL, OPT_ORPHAN},
        {"start-time", required_argument, NULL, OPT_START},
        {"audio", no_argument, NULL, OPT_AUDIO},
        {"srtp", required_argument, NULL, OPT_SRTP},
        {"srtp-bad-key", no_argument, NULL, OPT_SRTP_BAD},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    double v;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        bool ok = true;
        switch (ch) {
        case 'o':
            o.out_path = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_TRUTH:
            o.truth_path = optarg;
            break;
        case OPT_SEED:
            o.seed = strtoull(optarg, NULL, 0);
            break;
        case OPT_CALLS:
            if ((ok = parse_num(optarg, 0, 10000000, &v))) o.calls = (uint32_t)v;
            break;
        case OPT_CONC:
            if ((ok = parse_num(optarg, 1, 10000000, &v))) o.concurrency = (uint32_t)v;
            break;
        case OPT_DURATION:
            ok = parse_num(optarg, 0, 36000, &o.duration_s);
            break;
        case OPT_CODEC:
            if (strcmp(optarg, "pcmu") == 0)
                o.codec = CODEC_PCMU;
            else if (strcmp(optarg, "pcma") == 0)
                o.codec = CODEC_PCMA;
            else if (strcmp(optarg, "g729") == 0)
                o.codec = CODEC_G729;
            else if (strcmp(optarg, "g722") == 0)
                o.codec = CODEC_G722;
            else if (strcmp(optarg, "opus") == 0)
                o.codec = CODEC_OPUS;
            else if (strcmp(optarg, "g726") == 0)
                o.codec = CODEC_G726;
            else if (strcmp(optarg, "gsm") == 0)
                o.codec = CODEC_GSM;
            else
                ok = false;
            break;
        case OPT_PTIME:
            ok = parse_num(optarg, 10, 120, &v) && (int)v % 10 == 0;
            o.ptime_ms = (uint32_t)v;
            break;
        case OPT_LOSS:
            ok = parse_num(optarg, 0, 100, &o.loss_pct);
            break;
        case OPT_BURST: {
            char *comma = strchr(optarg, ',');
            if (!comma) {
                ok = false;
                break;
            }
            *comma = '\0';
            ok = parse_num(optarg, 0, 100, &o.burst_p_pct) &&
                 parse_num(comma + 1, 0.001, 100, &o.burst_r_pct);
            o.burst = true;
            break;
        }
        case OPT_JITTER:
            ok = parse_num(optarg, 0, 10000, &o.jitter_ms);
            break;
        case OPT_DRIFT:
            ok = parse_num(optarg, -50000, 50000, &o.drift_ppm);
            break;
        case OPT_REORDER:
            ok = parse_num(optarg, 0, 100, &o.reorder_pct);
            break;
        case OPT_DUP:
            ok = parse_num(optarg, 0, 100, &o.duplicate_pct);
            break;
        case OPT_SEQ:
            if ((ok = parse_num(optarg, 0, 65535, &v))) o.seq_start = (int32_t)v;
            break;
        case OPT_SSRC:
            o.ssrc_change = true;
            break;
        case OPT_REINVITE:
            o.reinvite = true;
            break;
        case OPT_FORK:
            o.fork = true;
            break;
        case OPT_FAIL:
            ok = parse_fail_mix(optarg, &o);
            break;
        case OPT_CHALLENGE:
            ok = parse_num(optarg, 0, 100, &o.challenge_pct);
            break;
        case OPT_TCP:
            o.tcp = true;
            break;
        case OPT_FRAG:
            o.fragment = true;
            break;
        case OPT_IPV6:
            o.ipv6 = true;
            break;
        case OPT_ENCAP:
            ok = parse_encap(optarg, &o.encap);
            break;
        case OPT_SIPPORT:
            if ((ok = parse_num(optarg, 1, 65535, &v))) o.sip_port = (uint16_t)v;
            break;
        case OPT_ORPHAN:
            if ((ok = parse_num(optarg, 0, 1000000, &v))) o.orphans = (uint32_t)v;
            break;
        case OPT_START:
            if ((ok = parse_num(optarg, 1, 4e9, &v))) o.start_us = (int64_t)v * 1000000;
            break;
        case OPT_AUDIO:
            o.audio = true;
            break;
        case OPT_SRTP:
            ok = (o.srtp = gen_audio_suite(optarg)) != 0;
            break;
        case OPT_SRTP_BAD:
            o.srtp_bad_key = true;
            break;
        case OPT_HOLD: {
            char *comma = strchr(optarg, ',');
            if (!comma) {
                ok = false;
                break;
            }
            *comma = '\0';
            ok = parse_num(optarg, 0, 36000, &o.hold_start_s) &&
                 parse_num(comma + 1, 0.001, 36000, &o.hold_len_s);
            break;
        }
        default:
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "siphon-gen: bad value for option %s: '%s'\n", argv[optind - 1],
                    optarg ? optarg : "");
            return 2;
        }
    }
    if (!o.out_path || optind != argc) {
        usage(stderr);
        return 2;
    }
    if ((o.srtp || o.srtp_bad_key || o.hold_len_s > 0 || o.codec >= CODEC_OPUS) && !o.audio) {
        fprintf(stderr, "siphon-gen: --srtp, --hold and the codecs opus, g726, gsm need --audio\n");
        return 2;
    }
    if (o.audio && ((o.codec == CODEC_OPUS && o.ptime_ms != 10 && o.ptime_ms != 20 &&
                     o.ptime_ms != 40 && o.ptime_ms != 60) ||
                    (o.codec == CODEC_GSM && o.ptime_ms % 20 != 0))) {
        fprintf(stderr, "siphon-gen: --ptime %u is not a frame multiple of the codec\n",
                o.ptime_ms);
        return 2;
    }
    if (!o.truth_path) o.truth_path = "/dev/null";
    return gen_run(&o) == 0 ? 0 : 1;
}
