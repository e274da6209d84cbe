/* fuzz_record.c - libFuzzer target for what the packet store reads:
 *   byte 0 % 4 == 0  a record.rules item (rec__rule_parse), then matched
 *                    against a SIP message made of the rest;
 *   1  the SIP header lookup the header rule uses (rec__sip_header);
 *   2  a calls.idx line (rec__parse_call_line);
 *   3  a damaged store: the input split into calls.idx, seg-1.idx and
 *      seg-1.pcap in a scratch directory, every recording read back
 *      (rec_find, rec_call_packets): bounded reads, no loop, no crash.
 * The input is copied to exact-size heap buffers so ASan sees over-reads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_internal.h"

static int count_packet(void *user, int64_t ts, int linktype, const uint8_t *frame, uint32_t caplen,
                        uint32_t wirelen)
{
    (void)ts, (void)linktype, (void)wirelen;
    uint64_t *n = user;
    if (caplen) *n += frame[caplen - 1]; /* touch the last byte */
    return ++n[1] > 100000;
}

static int read_all(void *user, const rec_recording_t *r)
{
    uint64_t n[2] = {0, 0};
    char err[256];
    (void)rec_call_packets(user, r, count_packet, n, err, sizeof err);
    return 0;
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

static char dir[64];

static void remove_store(void)
{
    static const char *const names[] = {REC__CALLS_FILE, "seg-0000000001.idx",
                                        "seg-0000000001.pcap"};
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void store(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_record.XXXXXX");
        if (!mkdtemp(dir)) return;
        atexit(remove_store);
    }
    /* three parts of the rest, cut where the first two bytes say */
    if (size < 2) return;
    uint8_t ca = data[0], cb = data[1];
    data += 2, size -= 2;
    size_t a = ca % (size + 1);
    size_t b = a + cb % (size - a + 1);
    static const char hdr[] = "C 0000000000000001 1 2 3 4 1 1 0 1 x\n";
    uint8_t *calls = malloc(sizeof hdr - 1 + a + 1);
    if (!calls) return;
    memcpy(calls, hdr, sizeof hdr - 1);
    memcpy(calls + sizeof hdr - 1, data, a);
    write_file(dir, REC__CALLS_FILE, calls, sizeof hdr - 1 + a);
    write_file(dir, "seg-0000000001.idx", data + a, b - a);
    write_file(dir, "seg-0000000001.pcap", data + b, size - b);
    free(calls);
    char err[256];
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    if (!s) return;
    rec_find(s, "x", read_all, s);
    rec_store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] % 4;
    data++, size--;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (mode == 0) {
        size_t cut = strnlen(buf, size);
        rec__rule_t r;
        char err[256];
        if (rec__rule_parse(buf, &r, err, sizeof err) && cut < size) {
            uint8_t *msg = malloc(size - cut);
            if (msg) {
                memcpy(msg, data + cut + 1, size - cut - 1);
                datagram_t dg = {.data = msg, .len = size - cut - 1};
                corr_sip_message_t m = {.data = msg, .len = dg.len, .from_user = SV_LIT("a")};
                corr_packet_t p = {.kind = CORR_PKT_SIP, .call_key = 1, .dg = &dg, .sip = &m};
                (void)rec__rule_match(&r, &p);
                free(msg);
            }
        }
    } else if (mode == 1) {
        uint8_t *msg = malloc(size ? size : 1);
        if (msg) {
            memcpy(msg, data, size);
            sv_t v;
            if (rec__sip_header(msg, size, "X-Record", &v) && v.len)
                (void)v.p[v.len - 1]; /* inside the message */
            free(msg);
        }
    } else if (mode == 2) {
        rec_recording_t r;
        static uint64_t segs[64];
        (void)rec__parse_call_line(buf, &r, segs, 64);
    } else {
        store(data, size);
    }
    free(buf);
    return 0;
}
