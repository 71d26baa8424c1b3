/*
 * dd_schemas — the Avro schemas of schemas/<name>.avsc, embedded at build time.
 *
 * The build (schemas/embed.cmake) turns every schemas/NAME.avsc into
 * `dd_schema_NAME` (the file's bytes, NUL-terminated, '-' -> '_') and its
 * length, so the program reads exactly the files that are shipped. A schema
 * named here that is missing from schemas/ is a link error, on purpose.
 */
#ifndef DD_SCHEMAS_H
#define DD_SCHEMAS_H

#include <stddef.h>

typedef struct {
    const char *name; /* file name without .avsc, e.g. "event-v2" */
    const char *text; /* JSON, NUL-terminated */
    size_t len;       /* bytes without the NUL */
} dd_schema_file;

/* Every embedded schema, sorted by name, ended by {NULL, NULL, 0}. */
extern const dd_schema_file dd_schema_files[];

/* The input event: v2 is the current reader (and writer) schema; v1 is an
 * older writer schema still accepted (see schemas/README.md). */
extern const char dd_schema_event_v1[];
extern const size_t dd_schema_event_v1_len;
extern const char dd_schema_event_v2[];
extern const size_t dd_schema_event_v2_len;
/* Outputs (SPEC section 10). */
extern const char dd_schema_case_result[];
extern const size_t dd_schema_case_result_len;
extern const char dd_schema_alert[];
extern const size_t dd_schema_alert_len;
extern const char dd_schema_snapshot[];
extern const size_t dd_schema_snapshot_len;
extern const char dd_schema_dlq[];
extern const size_t dd_schema_dlq_len;

/* The schema file called `name` ("event-v2"), or NULL. */
const dd_schema_file *dd_schema_find(const char *name);

#endif
