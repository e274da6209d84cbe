/* pcap.c - `siphon pcap CALL_ID`: one call's packets from the packet store
 * (record/) as a standalone pcap.  Wiring only: the options, the store's
 * directory from the configuration (record.dir: the running appliance's
 * own, read from /etc/siphon/siphon.conf when it exists, or -c FILE, or
 * --record.dir=DIR), and rec_write_pcap.
 *
 * Several calls may share one Call-ID (a Call-ID reused hours apart):
 * all of them are written, each call's packets in capture order, calls in
 * the order they started; --call-key picks one (--list shows them).
 *
 * Exit status: 0 written, 1 no such call or a damaged/partly deleted
 * recording (what could be read is written), 2 usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon pcap [options] CALL_ID\n"
               "\n"
               "Writes the recorded packets of the call(s) with this Call-ID (SIP, RTP,\n"
               "RTCP, in capture order, original timestamps and link type) as a pcap.\n"
               "\n"
               "  -o, --output FILE      write to FILE (default: standard output, not a terminal)\n"
               "  --call-key HEX         only the call with this call_key (see --list)\n"
               "  --list                 list the recordings of CALL_ID instead\n"
               "  -c FILE                configuration file (default /etc/siphon/siphon.conf\n"
               "                         when it exists): its record.dir is the store\n"
               "  --record.dir=DIR       the packet store to read\n"
               "  -h, --help             this help\n");
}

static int list_cb(void *user, const rec_recording_t *r)
{
    (void)user;
    printf("%016" PRIx64 " first_ns=%" PRId64 " last_ns=%" PRId64 " packets=%" PRIu64
           " bytes=%" PRIu64 " segments=%u%s\n",
           r->call_key, r->first_ns, r->last_ns, r->packets, r->bytes, r->segment_count,
           r->gone ? " gone" : "");
    return 0;
}

int cmd_pcap(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    const char *def = access(CONFIG_DEFAULT_PATH, R_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    if (app_config_from_args("pcap", &argc, argv, def, &cfg, NULL) != APP_CONFIG_OK) {
        config_free(&cfg);
        return 2;
    }
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"call-key", required_argument, NULL, 'k'},
        {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *outpath = NULL;
    uint64_t key = 0;
    bool list = false;
    int c, rc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            outpath = optarg;
            break;
        case 'k': {
            char *end;
            key = strtoull(optarg, &end, 16);
            if (!optarg[0] || *end || !key) {
                fprintf(stderr, "siphon pcap: --call-key: '%s' is not a call key (hex)\n", optarg);
                rc = 2;
            }
            break;
        }
        case 'l':
            list = true;
            break;
        case 'h':
            usage(stdout);
            config_free(&cfg);
            return 0;
        default:
            rc = 2;
        }
    }
    if (rc == 0 && optind != argc - 1) {
        fprintf(stderr, "siphon pcap: give one CALL_ID\n");
        rc = 2;
    }
    if (rc == 0 && !list && !outpath && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "siphon pcap: standard output is a terminal: use -o FILE\n");
        rc = 2;
    }
    if (rc) {
        usage(stderr);
        config_free(&cfg);
        return rc;
    }
    const char *call_id = argv[optind];
    char err[512];
    rec_store_t *s = rec_store_open(cfg.record.dir, err, sizeof err);
    if (!s) {
        fprintf(stderr, "siphon pcap: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    if (list) {
        rc = rec_find(s, call_id, list_cb, NULL) ? 0 : 1;
        if (rc) fprintf(stderr, "siphon pcap: no recording of Call-ID %s\n", call_id);
    } else {
        FILE *out = outpath ? fopen(outpath, "wb") : stdout;
        if (!out) {
            fprintf(stderr, "siphon pcap: %s: cannot create\n", outpath);
            rc = 1;
        } else {
            int64_t n = rec_write_pcap(s, call_id, key, out, err, sizeof err);
            if (n < 0) {
                fprintf(stderr, "siphon pcap: %s\n", err);
                rc = 1;
            }
            if (outpath && fclose(out) != 0) rc = 1;
        }
    }
    rec_store_close(s);
    config_free(&cfg);
    return rc;
}
