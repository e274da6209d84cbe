/* srtp_pcap.c - siprec_srtp_pcap IN.pcap OUT.pcap KEY_B64: encrypts every
 * RTP packet of a classic Ethernet/IPv4/UDP pcap (make_rtp_pcap.py's) with
 * SRTP AES_CM_128_HMAC_SHA1_80 under the 30-byte master key+salt KEY_B64,
 * so SIPp (no SRTP of its own) can play an SRTP stream with
 * play_pcap_audio; the SRS decrypts it with the key the scenario's
 * a=crypto offers.  IP and UDP lengths follow the longer payload (UDP
 * checksum 0: none, as IPv4 allows).
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64(const char *in, uint8_t *out, int max)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t v = 0;
    int bits = 0, n = 0;
    for (; *in && *in != '=' && *in != '\n'; in++) {
        const char *q = strchr(t, *in);
        if (!q) return -1;
        v = (v << 6) | (uint32_t)(q - t);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= max) return -1;
            out[n++] = (uint8_t)(v >> bits);
        }
    }
    return n;
}

static uint16_t ip_sum(const uint8_t *h)
{
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: siprec_srtp_pcap IN.pcap OUT.pcap KEY_B64\n");
        return 2;
    }
    uint8_t key[64];
    if (b64(argv[3], key, sizeof key) != 30) {
        fprintf(stderr, "the key must be 30 bytes of base64\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        perror("open");
        return 1;
    }
    srtp_init();
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = ssrc_any_outbound;
    p.key = key;
    p.window_size = 1024;
    srtp_t s;
    if (srtp_create(&s, &p) != srtp_err_status_ok) return 1;
    uint8_t gh[24], rh[16], pkt[4096];
    if (fread(gh, 1, 24, in) != 24) return 1;
    fwrite(gh, 1, 24, out);
    while (fread(rh, 1, 16, in) == 16) {
        uint32_t caplen;
        memcpy(&caplen, rh + 8, 4);
        if (caplen > 2048 || fread(pkt, 1, caplen, in) != caplen) return 1;
        const size_t rtp_at = 14 + 20 + 8;
        int len = (int)(caplen - rtp_at);
        if (srtp_protect(s, pkt + rtp_at, &len) != srtp_err_status_ok) return 1;
        uint32_t total = (uint32_t)(rtp_at + (size_t)len);
        uint8_t *ip = pkt + 14, *udp = ip + 20;
        ip[2] = (uint8_t)((total - 14) >> 8), ip[3] = (uint8_t)(total - 14);
        ip[10] = ip[11] = 0;
        uint16_t c = ip_sum(ip);
        ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
        udp[4] = (uint8_t)((total - 34) >> 8), udp[5] = (uint8_t)(total - 34);
        udp[6] = udp[7] = 0;
        memcpy(rh + 8, &total, 4);
        memcpy(rh + 12, &total, 4);
        fwrite(rh, 1, 16, out);
        fwrite(pkt, 1, total, out);
    }
    srtp_dealloc(s);
    fclose(in);
    return fclose(out) == 0 ? 0 : 1;
}
