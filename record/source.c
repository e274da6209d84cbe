/* source.c - packets from outside the correlator into the packet store:
 * the SIPREC recording server's sessions (their SIP and the media the SRS
 * received), recorded as calls by their Call-ID so `siphon pcap` and
 * `siphon audio` serve them like passively captured calls.
 *
 * Such a source hands over datagrams (payload, the real socket addresses
 * and ports), not frames: the SRS reads sockets.  Each one is stored as a
 * synthesised Ethernet frame (LINKTYPE_ETHERNET, locally administered
 * MACs 02:00:00:00:00:01 -> :02, IPv4 or IPv6 with a correct header
 * checksum, UDP with a correct checksum), so tshark, Wireshark and siphon's
 * own decoder read the recording as the traffic it was.  SIP that came
 * over TCP or TLS is stored as one UDP datagram per message, with the
 * addresses and ports of the connection (the content as the SRS read or
 * wrote it: TLS already decrypted); media is stored as the SRS handed it
 * out, SRTP decrypted.  Ethernet because the live rings mostly deliver
 * Ethernet frames: a segment holds one link type, and the capture's
 * recordings and the SRS's then share segments.
 *
 * Threads: any number of producers (the SRS's media threads and its SIP
 * thread) copy items into one current batch under a mutex (held for a
 * memcpy); a full batch goes to a fan_worker_t of its own, always lossy:
 * when the writer is behind, the batch is dropped and its packets
 * counted, a producer never waits.  Its worker thread hands batches to
 * the consumer's writer (rec__writer_batch serialises them with the
 * shards' batches under the writer's lock) and, every 100 ms with nothing
 * queued, takes the partial batch itself, so a session's tail does not
 * wait for more traffic.
 *
 * A recording's key is a hash of the Call-ID with a seed of its own (the
 * correlator's keys hash the Call-ID with the call's first capture time),
 * so a session seen passively too is a second recording of that Call-ID,
 * which `siphon pcap` writes alongside.
 */
#include "rec_internal.h"

#include <stdlib.h>
#include <string.h>

#define SRC__MAX_ID   255
#define SRC__HDR_ROOM (14 + 40 + 8)
#define SRC__TICK_NS  (100 * 1000000LL)
#define SRC__KEY_SEED 0x73697072656331ull /* "siprec1" */

struct rec_source {
    void *rec;
    rec__writer_t *w;
    fan_worker_t *worker;
    pthread_mutex_t lock;
    rec__batch_t *batch;
    uint64_t frame_no;
    uint64_t packets, dropped, too_large;
};

uint64_t rec_source_key(const char *call_id)
{
    uint64_t k = hash_bytes(call_id, strlen(call_id), SRC__KEY_SEED);
    return k ? k : 1;
}

static void worker_work(void *user, uint32_t shard, void *rec)
{
    (void)shard;
    rec_source_t *s = user;
    rec__writer_batch(s->w, rec);
}

static void worker_tick(void *user, bool stop)
{
    (void)stop;
    rec_source_t *s = user;
    pthread_mutex_lock(&s->lock);
    rec__batch_t *b = s->batch;
    s->batch = NULL;
    pthread_mutex_unlock(&s->lock);
    if (!b) return;
    if (b->used) rec__writer_batch(s->w, b);
    free(b);
}

rec_source_t *rec_source_new(void *rec, uint32_t queue_batches, char *err, size_t errlen)
{
    rec_source_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "record: out of memory");
        return NULL;
    }
    s->rec = rec;
    s->w = rec__writer_of(rec);
    pthread_mutex_init(&s->lock, NULL);
    fan_worker_config_t wc = {.name = "siphon-rec-srs",
                              .shards = 1,
                              .capacity = queue_batches < 2 ? 2 : queue_batches,
                              .lossless = false,
                              .work = worker_work,
                              .user = s,
                              .tick = worker_tick,
                              .tick_ns = SRC__TICK_NS};
    if (!(s->worker = fan_worker_new(&wc, err, errlen)) ||
        fan_worker_start(s->worker, err, errlen) != 0) {
        rec_source_free(s);
        return NULL;
    }
    return s;
}

/* Room for len bytes in the current batch, under the lock; NULL: out of
 * memory.  A full batch goes to the worker (dropped and counted if its
 * queue is full). */
static rec__item_t *reserve(rec_source_t *s, uint32_t len)
{
    if (s->batch && s->batch->used + len > REC__BATCH_BYTES) {
        rec__batch_t *b = s->batch;
        uint32_t n = b->packets;
        s->batch = NULL;
        if (!fan_worker_push(s->worker, 0, b)) s->dropped += n;
    }
    if (!s->batch) {
        s->batch = malloc(sizeof *s->batch + REC__BATCH_BYTES);
        if (!s->batch) return NULL;
        s->batch->used = s->batch->packets = 0;
    }
    rec__item_t *it = (rec__item_t *)(s->batch->data + s->batch->used);
    s->batch->used += len;
    return it;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* IPv4-mapped IPv6 as IPv4; mixed families as IPv6 (v4-mapped). */
static void norm_addrs(ip_addr_t *a, ip_addr_t *b)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip_addr_t *x[2] = {a, b};
    for (int i = 0; i < 2; i++)
        if (x[i]->family == IP_V6 && memcmp(x[i]->bytes, mapped, 12) == 0) {
            uint8_t v4[4];
            memcpy(v4, x[i]->bytes + 12, 4);
            ip_addr_set_v4(x[i], v4);
        }
    for (int i = 0; i < 2; i++)
        if (x[i]->family == IP_NONE) ip_addr_set_v4(x[i], (const uint8_t[4]){0, 0, 0, 0});
    if (a->family != b->family)
        for (int i = 0; i < 2; i++)
            if (x[i]->family == IP_V4) {
                uint8_t v6[16];
                memcpy(v6, mapped, 12);
                memcpy(v6 + 12, x[i]->bytes, 4);
                ip_addr_set_v6(x[i], v6);
            }
}

/* Ethernet + IP + UDP headers for a payload of n bytes into h; returns
 * their length. */
static size_t synth_headers(uint8_t *h, const endpoint_t *src, const endpoint_t *dst,
                            const uint8_t *payload, size_t n)
{
    ip_addr_t sa = src->ip, da = dst->ip;
    norm_addrs(&sa, &da);
    bool v6 = sa.family == IP_V6;
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
    memcpy(h, macs, 12);
    put16(h + 12, v6 ? 0x86dd : 0x0800);
    uint8_t *ip = h + 14;
    size_t iplen = v6 ? 40 : 20;
    uint8_t *udp = ip + iplen;
    size_t ulen = 8 + n;
    if (v6) {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)ulen);
        ip[6] = 17;
        ip[7] = 64;
        memcpy(ip + 8, sa.bytes, 16);
        memcpy(ip + 24, da.bytes, 16);
    } else {
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(20 + ulen));
        ip[6] = 0x40; /* DF */
        ip[8] = 64;
        ip[9] = 17;
        memcpy(ip + 12, sa.bytes, 4);
        memcpy(ip + 16, da.bytes, 4);
        put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    }
    put16(udp, src->port);
    put16(udp + 2, dst->port);
    put16(udp + 4, (uint16_t)ulen);
    put16(udp + 6, 0);
    /* pseudo-header, UDP header, payload */
    uint32_t sum = 0;
    sum = csum_add(sum, v6 ? ip + 8 : ip + 12, v6 ? 32 : 8);
    sum += 17 + (uint32_t)ulen;
    sum = csum_add(sum, udp, 8);
    sum = csum_add(sum, payload, n);
    uint16_t c = csum_fold(sum);
    put16(udp + 6, c ? c : 0xffff);
    return 14 + iplen + 8;
}

void rec_source_datagram(rec_source_t *s, const char *call_id, int64_t ts_ns, const endpoint_t *src,
                         const endpoint_t *dst, const uint8_t *data, size_t len)
{
    if (len > 65507 || len + SRC__HDR_ROOM > REC__SNAPLEN) {
        pthread_mutex_lock(&s->lock);
        s->too_large++;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    size_t id_len = strnlen(call_id, SRC__MAX_ID);
    uint8_t hdr[SRC__HDR_ROOM];
    size_t hl = synth_headers(hdr, src, dst, data, len);
    uint32_t caplen = (uint32_t)(hl + len);
    uint32_t item = (uint32_t)((sizeof(rec__item_t) + caplen + id_len + 7) & ~(size_t)7);
    uint64_t key = rec_source_key(call_id);
    pthread_mutex_lock(&s->lock);
    rec__item_t *it = reserve(s, item);
    if (it) {
        *it = (rec__item_t){.len = item,
                            .type = REC__ITEM_PACKET,
                            .id_len = (uint16_t)id_len,
                            .linktype = 1,
                            .caplen = caplen,
                            .wirelen = caplen,
                            .ts_ns = ts_ns,
                            .call_key = key,
                            .frame_no = ++s->frame_no};
        uint8_t *p = (uint8_t *)(it + 1);
        memcpy(p, hdr, hl);
        memcpy(p + hl, data, len);
        memcpy(p + caplen, call_id, id_len);
        s->batch->packets++;
        s->packets++;
    }
    pthread_mutex_unlock(&s->lock);
}

void rec_source_end(rec_source_t *s, const char *call_id, int64_t ts_ns)
{
    size_t id_len = strnlen(call_id, SRC__MAX_ID);
    uint32_t item = (uint32_t)((sizeof(rec__item_t) + id_len + 7) & ~(size_t)7);
    pthread_mutex_lock(&s->lock);
    rec__item_t *it = reserve(s, item);
    if (it) {
        *it = (rec__item_t){.len = item,
                            .type = REC__ITEM_END,
                            .id_len = (uint16_t)id_len,
                            .call_key = rec_source_key(call_id),
                            .ts_ns = ts_ns};
        memcpy(it + 1, call_id, id_len);
    }
    pthread_mutex_unlock(&s->lock);
}

void rec_source_stats(rec_source_t *s, rec_source_stats_t *out)
{
    pthread_mutex_lock(&s->lock);
    out->packets = s->packets;
    out->dropped = s->dropped;
    out->too_large = s->too_large;
    pthread_mutex_unlock(&s->lock);
}

void rec_source_free(rec_source_t *s)
{
    if (!s) return;
    fan_worker_free(
        s->worker); /* stops it: the queue is worked off, the last tick takes the rest */
    free(s->batch);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
