/* ring.c - live capture front end: configuration defaults, the choice of
 * backend (AF_PACKET TPACKET_V3 ring or libpcap), the counters both share,
 * BPF compilation, and interface counters from sysfs.
 *
 * Design: cap_ring_open completes the configuration (zero fields take
 * their defaults), then hands it to one backend, which returns its own
 * struct starting with the common cap_ring_t base (ring_internal.h).
 * cap_ring_next calls the backend through its ops table and does the
 * per-frame bookkeeping once for both: frame number, interface name,
 * delivered frames/bytes/truncated.  Filters are compiled by libpcap for
 * the ring's link type and snap length (pcap_open_dead + pcap_compile), so
 * a filter means the same thing to both backends and to tcpdump.
 */
#include "ring_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#define RING_DEF_BLOCK_SIZE (1u << 20)
#define RING_DEF_BLOCKS     64u
#define RING_DEF_FRAME_SIZE 2048u
#define RING_DEF_TIMEOUT_MS 10u
#define RING_DEF_SNAPLEN    65535u

void cap_ring_config_default(cap_ring_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->fanout_mode = PACKET_FANOUT_HASH;
    cfg->block_size = RING_DEF_BLOCK_SIZE;
    cfg->block_count = RING_DEF_BLOCKS;
    cfg->frame_size = RING_DEF_FRAME_SIZE;
    cfg->block_timeout_ms = RING_DEF_TIMEOUT_MS;
    cfg->snaplen = RING_DEF_SNAPLEN;
}

cap_ring_t *cap_ring_open(const cap_ring_config_t *cfg, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!cfg || !cfg->ifname || !cfg->ifname[0]) {
        if (err && errlen) snprintf(err, errlen, "no capture interface given");
        return NULL;
    }
    if (strlen(cfg->ifname) >= IF_NAMESIZE) {
        if (err && errlen) snprintf(err, errlen, "%s: interface name too long", cfg->ifname);
        return NULL;
    }
    cap_ring_config_t c = *cfg;
    if (!c.block_size) c.block_size = RING_DEF_BLOCK_SIZE;
    if (!c.block_count) c.block_count = RING_DEF_BLOCKS;
    if (!c.frame_size) c.frame_size = RING_DEF_FRAME_SIZE;
    if (!c.snaplen) c.snaplen = RING_DEF_SNAPLEN;
    /* block_timeout_ms 0 stays 0: immediate mode for libpcap, the kernel's
     * own retire timeout (derived from the link speed) for AF_PACKET. */
    cap_ring_t *r =
        c.use_libpcap ? cap__pcap_live_open(&c, err, errlen) : cap__afpacket_open(&c, err, errlen);
    if (!r) return NULL;
    snprintf(r->ifname, sizeof r->ifname, "%s", c.ifname);
    return r;
}

int cap_ring_next(cap_ring_t *r, cap_frame_t *out, int timeout_ms)
{
    int rc = r->ops->next(r, out, timeout_ms);
    if (rc != 1) return rc;
    out->frame_no = ++r->frame_no;
    out->file = r->ifname;
    r->frames++;
    r->bytes += out->caplen;
    if (out->caplen < out->wirelen) r->truncated++;
    return 1;
}

void cap_ring_stats(cap_ring_t *r, cap_ring_stats_t *out)
{
    memset(out, 0, sizeof *out);
    r->ops->stats(r, out);
    out->frames = r->frames;
    out->bytes = r->bytes;
    out->truncated = r->truncated;
}

const char *cap_ring_error(const cap_ring_t *r)
{
    return r->err;
}

int cap_ring_fd(const cap_ring_t *r)
{
    return r->fd;
}

int cap_ring_linktype(const cap_ring_t *r)
{
    return r->linktype;
}

void cap_ring_close(cap_ring_t *r)
{
    if (r) r->ops->close(r);
}

int cap__bpf_compile(const char *expr, int linktype, uint32_t snaplen, struct bpf_program *prog,
                     char *err, size_t errlen)
{
    pcap_t *p = pcap_open_dead(linktype, (int)snaplen);
    if (!p) {
        if (err && errlen) snprintf(err, errlen, "pcap_open_dead failed");
        return -1;
    }
    if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        if (err && errlen) snprintf(err, errlen, "filter \"%s\": %s", expr, pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    pcap_close(p);
    return 0;
}

static int read_counter(const char *ifname, const char *name, uint64_t *v)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", ifname, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fscanf(f, "%" SCNu64, v) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

int cap_iface_stats(const char *ifname, cap_iface_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!ifname || !ifname[0] || strchr(ifname, '/') || strlen(ifname) >= IF_NAMESIZE) return -1;
    if (read_counter(ifname, "rx_packets", &out->rx_packets) != 0) return -1;
    (void)read_counter(ifname, "rx_bytes", &out->rx_bytes);
    (void)read_counter(ifname, "rx_dropped", &out->rx_dropped);
    (void)read_counter(ifname, "rx_missed_errors", &out->rx_missed);
    (void)read_counter(ifname, "rx_fifo_errors", &out->rx_fifo_errors);
    return 0;
}
