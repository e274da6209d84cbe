/* main.c - the siphon command line: dispatches to a subcommand.
 *
 *   siphon analyze [options] FILE...   rebuild calls and streams from captures
 *   siphon run [-c FILE] [--json]      the live daemon: capture, calls, records
 *   siphon check-config [-c FILE]      validate a configuration file
 *   siphon version
 */
#include "app.h"

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
        "  run [-c FILE] [--json]      capture live on capture.interfaces until SIGINT/SIGTERM\n"
        "  check-config [-c FILE]      validate a configuration file (--dump prints it)\n"
        "  version                     print the version\n"
        "\n"
        "`siphon analyze --help` and `siphon run --help` list their options.  Every\n"
        "subcommand also takes -c FILE (a configuration file) and --SECTION.KEY=VALUE (one\n"
        "setting).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "analyze") == 0) return cmd_analyze(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check-config") == 0) return cmd_check_config(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("siphon %s\n", SIPHON_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "siphon: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
