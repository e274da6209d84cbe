/* addr.c - IPv4/IPv6 addresses and transport endpoints: parsing from SDP/SIP
 * text, canonical formatting, equality and hashing. */
#include "core.h"

#include <arpa/inet.h>
#include <string.h>

bool ip_addr_parse(sv_t text, ip_addr_t *out)
{
    char tmp[IP_STR_MAX];
    text = sv_trim(text);
    if (text.len >= 2 && text.p[0] == '[' && text.p[text.len - 1] == ']')
        text = sv_make(text.p + 1, text.len - 2);
    if (text.len == 0 || text.len >= sizeof tmp) return false;
    memcpy(tmp, text.p, text.len);
    tmp[text.len] = '\0';
    memset(out, 0, sizeof *out);
    if (memchr(tmp, ':', text.len)) {
        if (inet_pton(AF_INET6, tmp, out->bytes) != 1) return false;
        out->family = IP_V6;
    } else {
        if (inet_pton(AF_INET, tmp, out->bytes) != 1) return false;
        out->family = IP_V4;
    }
    return true;
}

void ip_addr_set_v4(ip_addr_t *a, const uint8_t b[4])
{
    memset(a, 0, sizeof *a);
    a->family = IP_V4;
    memcpy(a->bytes, b, 4);
}

void ip_addr_set_v6(ip_addr_t *a, const uint8_t b[16])
{
    a->family = IP_V6;
    memcpy(a->bytes, b, 16);
}

bool ip_addr_eq(const ip_addr_t *a, const ip_addr_t *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

size_t ip_addr_format(const ip_addr_t *a, char *buf, size_t n)
{
    if (n == 0) return 0;
    buf[0] = '\0';
    if (a->family == IP_V4)
        inet_ntop(AF_INET, a->bytes, buf, (socklen_t)n);
    else if (a->family == IP_V6)
        inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)n);
    return strlen(buf);
}

bool endpoint_eq(const endpoint_t *a, const endpoint_t *b)
{
    return a->port == b->port && ip_addr_eq(&a->ip, &b->ip);
}

uint64_t endpoint_hash(const endpoint_t *e)
{
    uint64_t h = hash_bytes(e->ip.bytes, e->ip.family == IP_V4 ? 4 : 16, e->ip.family);
    return hash_u64(h ^ ((uint64_t)e->port << 32));
}

const char *transport_name(transport_t t)
{
    switch (t) {
    case TRANSPORT_UDP:
        return "udp";
    case TRANSPORT_TCP:
        return "tcp";
    case TRANSPORT_WS:
        return "ws";
    case TRANSPORT_SCTP:
        return "sctp";
    }
    return "unknown";
}
