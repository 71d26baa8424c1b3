/*
 * dd_jsonl — walking a JSONL event file held in memory, and applying it to a
 * ledger with the bad-line reporting every offline command shares
 * (`replay`, `replay --alerts`, `settle`): one stderr line
 * "line N: REASON: detail" per bad event, never a changed total.
 */
#ifndef DD_JSONL_H
#define DD_JSONL_H
#include <stddef.h>

#include "dd_ledger.h"

/* Next non-blank line at or after *pos: its text without surrounding blanks
 * and CR is [*b, *e), *line its 1-based number (counts blank lines too).
 * Returns 1, or 0 at the end of the text. *pos and *line start at 0. */
int dd_jsonl_next(const char *text, size_t len, size_t *pos, long *line, size_t *b, size_t *e);

/* Applies every line to the ledger in order. Bad events: one stderr line each
 * unless quiet. Returns 0, or 1 after a ledger error (out of memory), which
 * is printed with its line number. */
int dd_jsonl_apply(dd_ledger *l, const char *text, size_t len, int quiet);

#endif
