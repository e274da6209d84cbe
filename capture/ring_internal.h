/* ring_internal.h - what the live capture backends (ring_afpacket.c,
 * pcap_live.c) share with the dispatcher (ring.c); not public API.
 *
 * A cap_ring_t is a small tagged base struct followed by the backend's own
 * state: every backend's struct starts with a cap__ring_t, whose ops table
 * says how to read, count and close it (nginx's event actions in
 * miniature).  The indirect call costs nothing next to the packet.
 */
#ifndef SIPHON_RING_INTERNAL_H
#define SIPHON_RING_INTERNAL_H

#include "capture.h"

#include <net/if.h>

typedef struct cap__ring_ops {
    const char *name; /* "afpacket" or "libpcap" */
    int (*next)(cap_ring_t *r, cap_frame_t *out, int timeout_ms);
    void (*stats)(cap_ring_t *r, cap_ring_stats_t *out); /* kernel counters */
    void (*close)(cap_ring_t *r);
} cap__ring_ops_t;

struct cap_ring {
    const cap__ring_ops_t *ops;
    char ifname[IF_NAMESIZE];
    int fd; /* pollable descriptor */
    int linktype;
    uint64_t frame_no;                 /* per ring, 1-based */
    uint64_t frames, bytes, truncated; /* delivered */
    char err[256];                     /* last error of next() */
};

/* Backends: fill a cap_ring_t (allocated by them, base first) or return
 * NULL with a message in err.  cfg has been completed by ring.c (defaults
 * for zero fields). */
cap_ring_t *cap__afpacket_open(const cap_ring_config_t *cfg, char *err, size_t errlen);
cap_ring_t *cap__pcap_live_open(const cap_ring_config_t *cfg, char *err, size_t errlen);

/* Compiles expr for linktype/snaplen with libpcap (pcap_open_dead).  On
 * success *prog must be released with pcap_freecode. */
struct bpf_program;
int cap__bpf_compile(const char *expr, int linktype, uint32_t snaplen, struct bpf_program *prog,
                     char *err, size_t errlen);

#endif /* SIPHON_RING_INTERNAL_H */
