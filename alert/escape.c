/* escape.c - attacker-controlled text made safe for each SIEM format.
 *
 * User-Agents, display names and account names come off the wire; an
 * attacker picks them to break the record a SIEM parses (a '|' that ends a
 * CEF header field early, a '"' or ']' that closes an RFC 5424 SD-PARAM,
 * a newline that starts a forged record).  Every value goes through one
 * walk: bytes are read as UTF-8, an ill-formed sequence becomes U+FFFD
 * (the formats are UTF-8), and each character is then written by the
 * format's own rule:
 *
 *   RFC 5424 SD-PARAM value  '"' '\' ']' get a backslash (RFC 5424 6.3.3)
 *   CEF header field         '|' '\' get a backslash
 *   CEF extension value      '=' '\' get a backslash, CR and LF are \r \n
 *   LEEF 2.0                 no escape syntax: the delimiter, CR and LF
 *                            (and other controls) are removed
 *
 * Controls (C0, DEL, C1) and the bidi/invisible format characters
 * (text_cp_is_control) never pass: where the format has no escape for
 * them they become U+FFFD (LEEF: removed), so a record is always one line
 * and reads the same in a terminal as in the SIEM.
 */
#include "alert_internal.h"

#include <string.h>

static const char alert__fffd[] = "\xef\xbf\xbd";

/* An ASCII byte by the format's rule. */
static void alert__ascii(buf_t *out, unsigned char c, alert__esc_t how, char delim)
{
    bool control = c < 0x20 || c == 0x7f;
    switch (how) {
    case ALERT__ESC_SD:
        if (c == '"' || c == '\\' || c == ']') buf_putc(out, '\\');
        break;
    case ALERT__ESC_MSG:
        break;
    case ALERT__ESC_CEF_HDR:
        if (c == '|' || c == '\\') buf_putc(out, '\\');
        break;
    case ALERT__ESC_CEF_EXT:
        if (c == '\n' || c == '\r') {
            buf_append(out, c == '\n' ? "\\n" : "\\r", 2);
            return;
        }
        if (c == '=' || c == '\\') buf_putc(out, '\\');
        break;
    case ALERT__ESC_LEEF:
        if (control || c == (unsigned char)delim) return;
        break;
    case ALERT__ESC_LEEF_HDR:
        if (control || c == '|') return;
        break;
    }
    if (control)
        buf_append(out, alert__fffd, 3);
    else
        buf_putc(out, (char)c);
}

void alert__escape(buf_t *out, const char *str, size_t n, alert__esc_t how, char delim)
{
    const unsigned char *s = (const unsigned char *)str;
    bool leef = how == ALERT__ESC_LEEF || how == ALERT__ESC_LEEF_HDR;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            alert__ascii(out, c, how, delim);
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t seq = text_utf8_seq(s + i, n - i, &cp);
        size_t need = seq ? seq - 1 : 0;
        bool ok = seq != 0;
        if (!ok) {
            buf_append(out, alert__fffd, 3);
            i++;
        } else if (text_cp_is_control(cp)) {
            if (!leef) buf_append(out, alert__fffd, 3);
            i += need + 1;
        } else {
            buf_append(out, s + i, need + 1);
            i += need + 1;
        }
    }
}

void alert__escape_cstr(buf_t *out, const char *s, alert__esc_t how, char delim)
{
    if (s) alert__escape(out, s, strlen(s), how, delim);
}
