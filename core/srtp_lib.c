/* srtp_lib.c - libsrtp2 made ready once per process, for every component
 * that decrypts SRTP (the audio renderer, the SIPREC server's media).
 *
 * Two things make this a process-wide concern rather than a component's:
 *  - srtp_init registers libsrtp2's debug modules, so a second call fails
 *    although the library works; whoever comes second must tolerate that.
 *  - Debian's libsrtp2 uses NSS for its ciphers, and each cipher it
 *    allocates opens an NSS context.  With no other context open, NSS
 *    initialises from scratch each time (loads its softoken module with
 *    dlopen): about 10 ms per srtp_create on this machine.  While one
 *    context stays open, the next ones are reference counts: 60 us.  So a
 *    session made here is kept for the life of the process (still
 *    reachable, not a leak), and every later session is cheap.
 */
#include "core.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;
static srtp_t held;

static void init_once(void)
{
    (void)srtp_init(); /* fails harmlessly when someone else called it first */
    uint8_t key[SRTP_MAX_KEY_LEN] = {0};
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_rtp_default(&p.rtp);
    srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    p.ssrc.type = ssrc_any_inbound;
    p.key = key;
    p.window_size = 128;
    ready = srtp_create(&held, &p) == srtp_err_status_ok;
}

bool srtp_lib_ready(void)
{
    pthread_once(&once, init_once);
    return ready;
}
