/*
 * dd_jsonl — see dd_jsonl.h.
 */
#include "dd_jsonl.h"

#include <stdio.h>

int dd_jsonl_next(const char *text, size_t len, size_t *pos, long *line, size_t *b, size_t *e)
{
    while (*pos < len) {
        size_t s = *pos, end = s;
        while (end < len && text[end] != '\n')
            end++;
        *pos = end < len ? end + 1 : end;
        (*line)++;
        while (end > s && (text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
            end--;
        while (s < end && (text[s] == ' ' || text[s] == '\t'))
            s++;
        if (s < end) {
            *b = s;
            *e = end;
            return 1;
        }
    }
    return 0;
}

int dd_jsonl_apply(dd_ledger *l, const char *text, size_t len, int quiet)
{
    size_t pos = 0, b, e;
    long line = 0;
    while (dd_jsonl_next(text, len, &pos, &line, &b, &e)) {
        dd_event_error ee;
        dd_ledger_outcome o = dd_ledger_apply_json(l, text + b, e - b, &ee);
        if (o == DD_LEDGER_BAD && !quiet) {
            fprintf(stderr, "line %ld: %s: %s\n", line, dd_bad_reason_name(ee.reason), ee.detail);
        } else if (o == DD_LEDGER_ERROR) {
            fprintf(stderr, "line %ld: %s\n", line, ee.detail);
            return 1;
        }
    }
    return 0;
}
