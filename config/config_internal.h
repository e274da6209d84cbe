/* config_internal.h - shared between the files of config/ only. */
#ifndef SIPHON_CONFIG_INTERNAL_H
#define SIPHON_CONFIG_INTERNAL_H

#include "config.h"

static inline void *config__field(siphon_config_t *cfg, const config_key_t *k)
{
    return (char *)cfg + k->offset;
}
static inline const void *config__cfield(const siphon_config_t *cfg, const config_key_t *k)
{
    return (const char *)cfg + k->offset;
}

/* Index of k in the schema. */
size_t config__index(const config_key_t *k);

/* Reads raw (the text after '=' of a line, or an override's value) as k's
 * type and stores it in cfg.  comments: '#' and ';' at the start of the
 * value or after whitespace end it (in files, not on the command line).
 * Returns false with a message in err (cfg unchanged) on a bad value. */
bool config__set_value(siphon_config_t *cfg, const config_key_t *k, sv_t raw, bool comments,
                       char *err, size_t errlen);

/* What a value of k's type looks like, for messages. */
const char *config__expected(const config_key_t *k);

/* Canonical text of a duration (largest exact unit: "5m", "250ms") and of
 * a size ("64MiB", or plain bytes); buf holds at least 32 bytes. */
void config__format_duration(uint64_t ns, char *buf, size_t n);
void config__format_size(uint64_t bytes, char *buf, size_t n);

#endif /* SIPHON_CONFIG_INTERNAL_H */
