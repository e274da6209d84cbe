/* app.h - the siphon command line: subcommands and output formatting.
 *
 * The app owns no protocol logic; it drives capture -> correlator and turns
 * the correlator's records into text (a readable table or NDJSON).
 */
#ifndef SIPHON_APP_H
#define SIPHON_APP_H

#include "capture.h"
#include "core.h"
#include "correlator.h"
#include "proto.h"

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);

/* Output formats for call and stream records (output.c). */
typedef enum { OUTPUT_TABLE = 0, OUTPUT_JSON } output_format_t;

void output_call_json(buf_t *out, const corr_call_t *call);
void output_stream_json(buf_t *out, const corr_stream_t *s, bool orphan);
void output_call_table(buf_t *out, const corr_call_t *call, bool with_streams);
void output_stream_table(buf_t *out, const corr_stream_t *s, const char *indent);
void output_table_header(buf_t *out);
/* An RFC 6035 report whose call is not in the capture (or already written). */
void output_vq_report_json(buf_t *out, const corr_vq_report_t *r);

typedef struct {
    int files;
    int read_errors;
    double elapsed_s;
    const cap_stats_t *cap;
    const corr_stats_t *corr;
} run_summary_t;

void output_summary_json(buf_t *out, const run_summary_t *s);
void output_summary_text(buf_t *out, const run_summary_t *s);

#endif /* SIPHON_APP_H */
