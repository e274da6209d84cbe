/* fuzz_web_request.c - the dashboard's own request parsing from hostile
 * bytes: x-www-form-urlencoded bodies (log-in, user add), the Cookie
 * header's session token, and request paths against every route pattern
 * of the table (web/api.c, web/auth.c).  Whatever the bytes: no crash, no
 * read past the input, outputs NUL-terminated within their buffers. */
#include "web_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[64], param[128], token[WEB__TOKEN_HEX + 2];
    /* the body as it arrives: not NUL-terminated */
    char *body = malloc(size ? size : 1);
    if (!body) return 0;
    memcpy(body, data, size);
    static const char *const names[] = {"user", "password", "name", "role", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (web__form(body, size, names[i], out, sizeof out) && strlen(out) >= sizeof out) abort();
    free(body);
    /* headers and paths: NUL-terminated by lws */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    web__cookie_token(s, token, sizeof token);
    if (strlen(token) >= sizeof token) abort();
    const web_route_info_t *r;
    size_t n = web_routes(&r);
    for (size_t i = 0; i < n; i++)
        if (web__route_match(r[i].pattern, s, param, sizeof param) && strlen(param) >= sizeof param)
            abort();
    free(s);
    return 0;
}
