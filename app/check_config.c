/* check_config.c - `siphon check-config`: validates a configuration file
 * and the command-line overrides, and with --dump prints the effective
 * configuration as a config file.
 *
 *   siphon check-config [-c FILE] [--dump] [--section.key=value...]
 *
 * Without -c it reads CONFIG_DEFAULT_PATH.  When that file does not exist
 * (a fresh install) the defaults are what run would use: with --dump or
 * overrides they are checked and dumped, with a note; with neither there is
 * nothing to check, and it says so plainly (exit 1).  Once every value is
 * valid, the host checks that run makes before opening anything
 * (app_preflight: filter, user, interfaces) run too, with run's words.
 * Exit status: 0 when the configuration is valid ("FILE: configuration OK
 * (N keys set)"), 1 when it is not (every error printed as FILE:LINE:
 * message or SECTION.KEY: message on stderr), 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon check-config [-c FILE] [--dump] [--SECTION.KEY=VALUE...]\n"
               "\n"
               "Checks a configuration file (default " CONFIG_DEFAULT_PATH ") and overrides:\n"
               "unknown sections and keys, bad values and repeated keys are errors,\n"
               "reported as FILE:LINE: message.\n"
               "\n"
               "  -c FILE                the configuration file to check\n"
               "  --dump                 print the effective configuration (every key, with\n"
               "                         its help) on stdout\n"
               "  --SECTION.KEY=VALUE    override one key, as every subcommand accepts\n"
               "  -h, --help             this help\n");
}

int cmd_check_config(int argc, char **argv)
{
    bool dump = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
    }
    siphon_config_t cfg;
    config_defaults(&cfg);
    const char *path = NULL;
    bool have_default = access(CONFIG_DEFAULT_PATH, F_OK) == 0;
    int rc = app_config_from_args("check-config", &argc, argv,
                                  have_default ? CONFIG_DEFAULT_PATH : NULL, &cfg, &path);
    if (rc == APP_CONFIG_USAGE) {
        usage(stderr);
        config_free(&cfg);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0) {
            dump = true;
            continue;
        }
        fprintf(stderr, "siphon check-config: unexpected argument '%s'\n", argv[i]);
        usage(stderr);
        config_free(&cfg);
        return 2;
    }
    if (!path && !dump && config_keys_set(&cfg) == 0) {
        fprintf(stderr,
                "siphon check-config: no configuration file at %s (give one with -c FILE, or "
                "--dump to see the defaults)\n",
                CONFIG_DEFAULT_PATH);
        config_free(&cfg);
        return 1;
    }
    if (!path)
        fprintf(stderr,
                "siphon check-config: no configuration file at %s: checking the defaults "
                "and the command line\n",
                CONFIG_DEFAULT_PATH);
    if (rc == APP_CONFIG_OK) {
        buf_t e;
        buf_init(&e);
        if (app_preflight(&cfg, &e) > 0) {
            fwrite(e.data, 1, e.len, stderr);
            rc = APP_CONFIG_INVALID;
        }
        buf_free(&e);
    }
    if (rc != APP_CONFIG_OK) { /* every error was printed */
        config_free(&cfg);
        return 1;
    }
    if (dump) {
        buf_t b;
        buf_init(&b);
        buf_printf(&b, "# siphon configuration: every key with its effective value\n"
                       "# (written by `siphon check-config --dump`)\n\n");
        config_dump(&cfg, &b);
        fwrite(b.data, 1, b.len, stdout);
        buf_free(&b);
    }
    fprintf(dump ? stderr : stdout, "%s: configuration OK (%u key%s set)\n",
            path ? path : "defaults and command line", config_keys_set(&cfg),
            config_keys_set(&cfg) == 1 ? "" : "s");
    config_free(&cfg);
    return 0;
}
