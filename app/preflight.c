/* preflight.c - the checks of a configuration against this host, which
 * `siphon check-config` and `siphon run` share so that check-config passes
 * exactly what run accepts and both fail with the same words.
 *
 * The schema (config/) checks each value on its own: its type, its range,
 * an ADDRESS:PORT for listen keys.  What only the host can answer is checked
 * here, before anything is opened: the BPF filter compiles (libpcap on a
 * dead handle: Ethernet framing, or Linux cooked framing for "any"), the
 * capture.user exists and is not root (the privilege drop would refuse it),
 * and every capture interface exists ("any": every interface).  Each problem
 * is one line "SECTION.KEY: message" appended to out.  With siprec.enabled,
 * the [siprec] values siprec/ parses (listeners, allow list, port range,
 * TLS files named) are checked the same way.
 */
#include "config_map.h"

#include <net/if.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <string.h>

static void bpf_check(const char *expr, int linktype, unsigned *bad, buf_t *out)
{
    pcap_t *p = pcap_open_dead(linktype, 65535);
    if (!p) {
        buf_printf(out, "capture.bpf_filter: cannot check the filter (pcap_open_dead failed)\n");
        (*bad)++;
        return;
    }
    struct bpf_program prog;
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        buf_printf(out, "capture.bpf_filter: \"%s\" is not a valid filter: %s\n", expr,
                   pcap_geterr(p));
        (*bad)++;
    } else {
        pcap_freecode(&prog);
    }
    pcap_close(p);
}

unsigned app_preflight(const siphon_config_t *cfg, buf_t *out)
{
    unsigned bad = 0;
    const config_list_t *ifs = &cfg->capture.interfaces;
    bool any = false;
    for (uint32_t i = 0; i < ifs->count; i++) {
        const char *name = ifs->items[i];
        if (strcmp(name, "any") == 0) {
            any = true;
            continue;
        }
        if (if_nametoindex(name) == 0) {
            buf_printf(out, "capture.interfaces: no interface '%s' on this host\n", name);
            bad++;
        }
    }
    const char *bpf = cfg->capture.bpf_filter;
    if (bpf && bpf[0]) bpf_check(bpf, any ? DLT_LINUX_SLL : DLT_EN10MB, &bad, out);
    const char *user = cfg->capture.user;
    if (user && user[0]) {
        struct passwd *pw = getpwnam(user);
        if (!pw) {
            buf_printf(out, "capture.user: no user '%s' on this host\n", user);
            bad++;
        } else if (pw->pw_uid == 0) {
            buf_printf(out, "capture.user: '%s' is root: dropping privileges to it drops nothing\n",
                       user);
            bad++;
        }
    }
    if (cfg->siprec.enabled) { /* [siprec]: what run would refuse at start */
        srs_config_t sc;
        bad += app_config_to_srs_config(cfg, &sc, out);
    }
    for (uint32_t i = 0; i < cfg->record.rules.count; i++) { /* the packet store's rules */
        char err[256];
        if (!rec_rule_check(cfg->record.rules.items[i], err, sizeof err)) {
            buf_printf(out, "record.rules: %s\n", err);
            bad++;
        }
    }
    return bad;
}
