/* siprec_store.c - an ended SIPREC session to storage: wiring only, the
 * rows are storage's (storage/siprec_rows.c). */
#include "app.h"

void app_siprec_to_storage(st_t *st, const srs_session_t *s)
{
    st_siprec_add(st, s);
}
