/*
 * dd_drg — the CHS-DRG 1.1 grouper (SPEC §4).
 *
 * Tables come from the product's converted copy (data/chs-drg-1.1/
 * chs-drg-1.1.tbl, written by scripts/convert_chs_drg.py) handed in as one
 * in-memory buffer: this module does no I/O. A loaded table set is immutable
 * and may be shared by threads; dd_drg_group() allocates nothing.
 *
 * Order: input checks (INVALID), MDCA (valid OR main procedure in an MDCA
 * ADRG), MDCP (age 0), MDCY, MDCZ (trauma in >= 2 body regions, the principal
 * among them), MDCM / MDCN (sex-checked), then the other MDCs by principal
 * diagnosis. Within an MDC: surgical ADRGs by main procedure, then non-OR
 * procedure ADRGs, then medical ADRGs; no match -> next MDC. An OR procedure
 * that fits no surgical ADRG of the MDC falls through to medical ADRGs with
 * warning UNRELATED_OR_PROCEDURE. Severity from MCC/CC lists minus the
 * principal's exclusion table; DRG = ADRG + 1/3/5 among existing suffixes, or 9.
 */
#ifndef DD_DRG_H
#define DD_DRG_H

#include <stddef.h>

typedef struct dd_drg_tables dd_drg_tables;

/* Parse the converted table file. NULL on error with a message in errstr
 * ("line N: ..."). */
dd_drg_tables *dd_drg_tables_new(const char *buf, size_t len, char *errstr,
                                 size_t errlen);
void dd_drg_tables_destroy(dd_drg_tables *t);

/* Counts for validation and `--help` text. */
typedef struct {
    int n_mdc, n_adrg, n_drg, n_mcc, n_cc, n_cce, n_or_proc, n_dx, n_proc;
} dd_drg_table_stats;
void dd_drg_tables_stats(const dd_drg_tables *t, dd_drg_table_stats *out);

/* Name of a DRG / ADRG / MDC code, or NULL when unknown. */
const char *dd_drg_name(const dd_drg_tables *t, const char *code);

typedef struct {
    int gend;       /* 1 male, 2 female, anything else invalid; 0 = missing */
    int age;        /* years; -1 = missing */
    int age_days;   /* -1 = missing */
    int nwb_bir_wt; /* grams; -1 = missing */
    int ipt_days;   /* informative only */
    int dscg_way;   /* informative only */
    const char *main_dx;
    const char *const *other_dx;
    int n_other_dx;
    const char *const *procedures; /* first = main procedure */
    int n_procedures;
} dd_drg_input;

typedef enum {
    DD_GROUP_SUCCESS = 0,
    DD_GROUP_FAIL = 1,
    DD_GROUP_INVALID = 2
} dd_group_status;

const char *dd_group_status_name(dd_group_status s); /* "SUCCESS", ... */

/* Warning bits: never change the group. */
#define DD_DRG_WARN_UNKNOWN_SECONDARY 0x1u   /* unknown other_dx ignored */
#define DD_DRG_WARN_UNKNOWN_PROCEDURE 0x2u   /* unknown procedure ignored */
#define DD_DRG_WARN_SEX_INCONSISTENT 0x4u    /* dx of the other sex */
#define DD_DRG_WARN_UNRELATED_OR_PROCEDURE 0x8u

/* Writes "UNKNOWN_SECONDARY,UNRELATED_OR_PROCEDURE" (empty for none). */
size_t dd_drg_warnings_format(unsigned warnings, char *buf, size_t cap);

typedef struct {
    dd_group_status status;
    char mdc[8];   /* "MDCG"; "" when none */
    char adrg[8];  /* "GZ1"; "00" when none */
    char drg[8];   /* "GZ13"; "0000" when none */
    int severity;  /* 1 MCC, 3 CC, 5 neither, 9 not split, 0 none */
    /* Reason code, a static string: "OK" for SUCCESS; e.g. "INVALID_SEX",
     * "INVALID_AGE", "INVALID_AGE_DAYS", "INVALID_BIRTH_WEIGHT",
     * "NO_MDC_FOR_MAIN_DX", "NO_ADRG_MATCHED" otherwise. */
    const char *reason;
    unsigned warnings;
    char path[512]; /* human-readable trace: "MDCA: no; MDCG: dx K22.301; ..." */
} dd_drg_result;

void dd_drg_group(const dd_drg_tables *t, const dd_drg_input *in, dd_drg_result *out);

#endif
