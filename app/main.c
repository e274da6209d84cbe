/* main.c - the siphon command line: dispatches to a subcommand.
 *
 *   siphon analyze [options] FILE...   rebuild calls and streams from captures
 *   siphon run [-i IFACE] [-c FILE]    the live daemon: capture, calls, records
 *   siphon check-config [-c FILE]      validate a configuration file
 *   siphon audio CALL_ID --pcap FILE   one call's voice as an audio file
 *   siphon calls [filters] [--json]    search the stored calls
 *   siphon show CALL_ID|UUID [--raw]   one stored call with its SIP ladder
 *   siphon db migrate|status|maintain  the database (storage/)
 *   siphon pcap CALL_ID [-o FILE]      a recorded call's packets as a pcap
 *   siphon version | --version | -V    siphon's version and its libraries'
 *   siphon help [COMMAND]              this list, or COMMAND --help
 */
#include "app.h"

#include <gnu/libc-version.h>
#include <ndpi/ndpi_api.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: siphon <command> [options]\n"
        "\n"
        "commands:\n"
        "  analyze [options] FILE...   rebuild SIP calls and RTP streams from pcap/pcapng files\n"
        "  run [-i IFACE] [--json]     capture live (-i, or capture.interfaces) until\n"
        "                              SIGINT/SIGTERM\n"
        "  check-config [-c FILE]      validate a configuration file (--dump prints it)\n"
        "  audio CALL_ID --pcap FILE   render a call's voice (stereo WAV/FLAC/Opus)\n"
        "  calls [--since 1h] [...]    search the stored calls (--caller, --callee, --ip,\n"
        "                              --state, --code, --mos-below, --call-id, --json)\n"
        "  show CALL_ID|UUID [--raw]   one stored call: its streams and SIP ladder\n"
        "  db migrate|status|maintain  the database: apply the schema, show tables and\n"
        "                              partitions, apply retention\n"
        "  pcap CALL_ID [-o FILE]      a recorded call's packets (record.dir) as a pcap\n"
        "  web [--routes]              serve the dashboard alone (web.listen, HTTPS)\n"
        "  user add NAME --role ROLE   a dashboard user (admin|listener|viewer); the\n"
        "                              password is read from stdin\n"
        "  siprec list|show [ID]       the stored SIPREC recording sessions (--since,\n"
        "                              --json)\n"
        "  version                     print the version of siphon and of its libraries\n"
        "                              (also --version, -V)\n"
        "  help [COMMAND]              this list, or the options of COMMAND\n"
        "\n"
        "`siphon help analyze` (or `siphon analyze --help`) lists a command's options.\n"
        "Every subcommand also takes -c FILE (a configuration file) and\n"
        "--SECTION.KEY=VALUE (one setting).\n");
}

/* siphon's version, then every library linked in whose version can be
 * asked at run time (the ones the binary really loaded, not the headers). */
static void version(void)
{
    printf("siphon %s\n", SIPHON_VERSION);
    printf("libpcap: %s\n", pcap_lib_version());
    printf("nDPI: %s\n", ndpi_revision());
    printf("glibc: %s\n", gnu_get_libc_version());
}

typedef int (*command_fn)(int argc, char **argv);

static command_fn find_command(const char *name)
{
    if (strcmp(name, "analyze") == 0) return cmd_analyze;
    if (strcmp(name, "run") == 0) return cmd_run;
    if (strcmp(name, "check-config") == 0) return cmd_check_config;
    if (strcmp(name, "audio") == 0) return cmd_audio;
    if (strcmp(name, "calls") == 0) return cmd_calls;
    if (strcmp(name, "show") == 0) return cmd_show;
    if (strcmp(name, "db") == 0) return cmd_db;
    if (strcmp(name, "pcap") == 0) return cmd_pcap;
    if (strcmp(name, "web") == 0) return cmd_web;
    if (strcmp(name, "user") == 0) return cmd_user;
    if (strcmp(name, "siprec") == 0) return cmd_siprec;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    command_fn fn = find_command(cmd);
    if (fn) return fn(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[2], "version") == 0 || strcmp(argv[2], "help") == 0) {
            usage(stdout);
            return 0;
        }
        fn = find_command(argv[2]);
        if (!fn) {
            fprintf(stderr, "siphon help: unknown command '%s'\n", argv[2]);
            usage(stderr);
            return 2;
        }
        char *hargv[] = {argv[2], "--help", NULL};
        return fn(2, hargv);
    }
    fprintf(stderr, "siphon: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
