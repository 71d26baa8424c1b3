/*
 * drgdip group — group a case CSV with CHS-DRG 1.1 (SPEC §4) and echo every
 * row with status,mdc,adrg,drg,reason appended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_casecsv.h"
#include "dd_cmd.h"
#include "dd_drg.h"
#include "dd_file.h"
#include "dd_group.h"

static void dd_group_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip group --scheme chs-drg-1.1 --csv FILE [--tables FILE] [--trace]\n\n"
            "Groups each case of FILE (\"-\" = stdin) with CHS-DRG 1.1 and writes every row,\n"
            "all original columns unchanged, with five columns appended:\n"
            "  status   SUCCESS, FAIL (no group) or INVALID (input check failed)\n"
            "  mdc      e.g. MDCG; empty when not grouped\n"
            "  adrg     e.g. GZ1; 00 when not grouped\n"
            "  drg      e.g. GZ13; 0000 when not grouped\n"
            "  reason   OK, or why not grouped (INVALID_SEX, INVALID_AGE, INVALID_AGE_DAYS,\n"
            "           INVALID_BIRTH_WEIGHT, UNKNOWN_MAIN_DX, NO_MDC_FOR_MAIN_DX,\n"
            "           MDC_SEX_MISMATCH, NO_ADRG_MATCHED, BAD_ROW); warnings follow\n"
            "           after '|': UNKNOWN_SECONDARY, UNKNOWN_PROCEDURE, SEX_INCONSISTENT,\n"
            "           UNRELATED_OR_PROCEDURE (they never change the group)\n"
            "  with --trace a sixth column `path` shows how the group was found.\n\n"
            "Input: UTF-8, comma-separated, a header row, no quoting, '|' inside\n"
            "multi-valued fields. Columns are taken by name: gend, age, age_days,\n"
            "nwb_bir_wt, main_dx, other_dx, procedures (first = main procedure);\n"
            "every other column (case_id, exp_*, ...) is copied, never read.\n"
            "Bad rows (wrong column count, a numeric field that is not a plain\n"
            "non-negative integer, gend longer than one digit) get one line on stderr\n"
            "\"FILE:LINE: reason\" and are still written, with status INVALID and\n"
            "reason BAD_ROW; the exit code is then 1.\n\n"
            "Tables: --tables FILE, else <data dir>/chs-drg-1.1/chs-drg-1.1.tbl where the\n"
            "data dir is $DRGDIP_DATA, else the source tree's data/, else the installed\n"
            "share/drgdip/data.\n");
}

dd_drg_tables *dd_group_load_tables(const char *path)
{
    char def[4096], err[512];
    if (!path) {
        snprintf(def, sizeof def, "%s/chs-drg-1.1/chs-drg-1.1.tbl", dd_file_default_data_dir());
        path = def;
    }
    size_t len;
    char *buf = dd_file_read(path, &len, err, sizeof err);
    if (!buf) {
        fprintf(stderr, "drgdip: %s\n", err);
        return NULL;
    }
    dd_drg_tables *t = dd_drg_tables_new(buf, len, err, sizeof err);
    free(buf);
    if (!t)
        fprintf(stderr, "drgdip: %s: %s\n", path, err);
    return t;
}

int dd_cmd_group(int argc, char **argv)
{
    const char *scheme = NULL, *csv = NULL, *tables = NULL;
    int trace = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            dd_group_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--trace")) {
            trace = 1;
        } else if ((!strcmp(a, "--scheme") || !strcmp(a, "--csv") || !strcmp(a, "--tables")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--scheme"))
                scheme = v;
            else if (!strcmp(a, "--csv"))
                csv = v;
            else
                tables = v;
        } else {
            fprintf(stderr, "drgdip group: unexpected argument '%s'\n", a);
            dd_group_usage(stderr);
            return 2;
        }
    }
    if (!scheme || !csv) {
        fprintf(stderr, "drgdip group: --scheme and --csv are required\n");
        dd_group_usage(stderr);
        return 2;
    }
    if (strcmp(scheme, "chs-drg-1.1")) {
        fprintf(stderr, "drgdip group: unknown scheme '%s' (supported: chs-drg-1.1)\n", scheme);
        return 2;
    }
    dd_drg_tables *t = dd_group_load_tables(tables);
    if (!t)
        return 1;
    char err[512];
    size_t len;
    char *buf = dd_file_read(csv, &len, err, sizeof err);
    if (!buf) {
        fprintf(stderr, "drgdip group: %s\n", err);
        dd_drg_tables_destroy(t);
        return 1;
    }
    dd_casecsv *c = dd_casecsv_load(buf, len, err, sizeof err);
    free(buf);
    if (!c) {
        fprintf(stderr, "drgdip group: %s: %s\n", csv, err);
        dd_drg_tables_destroy(t);
        return 1;
    }
    int rc = 0;
    printf("%s,status,mdc,adrg,drg,reason%s\n", dd_casecsv_header(c), trace ? ",path" : "");
    for (int i = 0; i < dd_casecsv_count(c); i++) {
        const dd_casecsv_row *row = dd_casecsv_row_at(c, i);
        if (row->bad) {
            fprintf(stderr, "%s:%d: %s%s%s\n", csv, row->line, row->bad_col ? row->bad_col : "",
                    row->bad_col ? ": " : "", row->bad);
            printf("%s,INVALID,,00,0000,BAD_ROW%s\n", row->raw, trace ? "," : "");
            rc = 1;
            continue;
        }
        dd_drg_result r;
        dd_drg_group(t, &row->in, &r);
        char warn[128];
        dd_drg_warnings_format(r.warnings, warn, sizeof warn);
        for (char *w = warn; *w; w++)
            if (*w == ',')
                *w = '|';
        printf("%s,%s,%s,%s,%s,%s%s%s", row->raw, dd_group_status_name(r.status), r.mdc,
               r.adrg, r.drg, r.reason, *warn ? "|" : "", warn);
        if (trace) {
            for (char *q = r.path; *q; q++)
                if (*q == ',')
                    *q = ' ';
            printf(",%s", r.path);
        }
        putchar('\n');
    }
    dd_casecsv_destroy(c);
    dd_drg_tables_destroy(t);
    if (fflush(stdout)) {
        perror("drgdip group: stdout");
        rc = 1;
    }
    return rc;
}
