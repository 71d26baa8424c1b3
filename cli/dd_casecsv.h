/*
 * dd_casecsv — the golden case CSV layout (shared/golden/README.md): UTF-8,
 * comma-separated, one header row, no quoting, multi-valued fields joined
 * with '|'. Columns are found by NAME in the header; the grouper inputs are
 * case_id, gend, age, age_days, nwb_bir_wt, ipt_days, dscg_way, main_dx,
 * other_dx, procedures (missing columns read as empty). Other columns (e.g.
 * the exp_* grading) are kept only as text for dd_casecsv_field().
 *
 * A row whose column count differs from the header's, or whose numeric field
 * is not a plain non-negative integer, is kept with `bad` set to a reason;
 * its dd_drg_input must not be grouped.
 */
#ifndef DD_CASECSV_H
#define DD_CASECSV_H

#include <stddef.h>

#include "dd_drg.h"

typedef struct {
    dd_drg_input in;
    int line;          /* 1-based line number in the file */
    const char *raw;   /* the original line (no newline, no trailing \r) */
    const char *bad;   /* NULL, or why the row can't be grouped (static text) */
    const char *bad_col; /* column named in `bad`, or NULL */
} dd_casecsv_row;

typedef struct dd_casecsv dd_casecsv;

/* Parses a whole CSV buffer (copied). NULL on error (no header, no rows
 * needed) with a message in errstr. */
dd_casecsv *dd_casecsv_load(const char *buf, size_t len, char *errstr, size_t errlen);
void dd_casecsv_destroy(dd_casecsv *c);

const char *dd_casecsv_header(const dd_casecsv *c); /* the header line */
int dd_casecsv_count(const dd_casecsv *c);
const dd_casecsv_row *dd_casecsv_row_at(const dd_casecsv *c, int i);
/* Field of row i in the column named `col`; "" when the column is absent or
 * the row is short. */
const char *dd_casecsv_field(const dd_casecsv *c, int i, const char *col);

#endif
