/* siprec_store.c - an ended SIPREC session as storage's siprec rows. */
#include "app.h"

void app_siprec_to_storage(st_t *st, const srs_session_t *s)
{
    (void)st;
    (void)s;
}
