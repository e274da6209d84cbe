/* check_config.c - `siphon check-config`: validates a configuration file
 * and the command-line overrides, and with --dump prints the effective
 * configuration as a config file.
 *
 *   siphon check-config [-c FILE] [--dump] [--section.key=value...]
 *
 * Without -c it reads CONFIG_DEFAULT_PATH and says so plainly when that file
 * does not exist.  Exit status: 0 when the configuration is valid ("FILE:
 * configuration OK (N keys set)"), 1 when it is not (every error printed as
 * FILE:LINE: message on stderr), 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <stdio.h>
#include <string.h>

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
    int rc = app_config_from_args("check-config", &argc, argv, CONFIG_DEFAULT_PATH, &cfg, &path);
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
    fprintf(dump ? stderr : stdout, "%s: configuration OK (%u keys set)\n", path,
            config_keys_set(&cfg));
    config_free(&cfg);
    return 0;
}
