/*
 * dd_dip — DIP (Diagnosis-Intervention Packet) library and grouper
 * (SPEC §4 "DIP", §11 "DIP matching"). No I/O: the library CSV and the
 * procedure-class list are handed in as buffers.
 *
 * CORE/BASIC first: candidates whose main_dx is a prefix of the principal
 * diagnosis and all of whose procedure terms are present (a term is a
 * '/'-list of alternatives; an alternative matches when it is a prefix of, or
 * equal to, any case procedure). Best: longest main_dx, then most terms, then
 * ref_cost nearest the case cost, then smallest dip_code. Else COMPREHENSIVE:
 * longest main_dx prefix whose class equals the case's highest procedure class
 * exactly (保守治疗 < 诊断性操作 < 治疗性操作 < 相关手术; 手术 -> 相关手术,
 * 介入治疗 and 治疗性操作 -> 治疗性操作; unclassed codes have no class; no
 * classed procedure = 保守治疗); ties: smallest dip_code. Else ungroupable.
 */
#ifndef DD_DIP_H
#define DD_DIP_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DD_DIP_CLASS_NONE = -1,
    DD_DIP_CLASS_CONSERVATIVE = 0, /* 保守治疗 */
    DD_DIP_CLASS_DIAGNOSTIC = 1,   /* 诊断性操作 */
    DD_DIP_CLASS_THERAPEUTIC = 2,  /* 治疗性操作 */
    DD_DIP_CLASS_SURGERY = 3       /* 相关手术 */
} dd_dip_class;

const char *dd_dip_class_name(dd_dip_class c); /* Chinese name as in the library */

typedef enum { DD_DIP_CORE = 0, DD_DIP_BASIC = 1, DD_DIP_COMPREHENSIVE = 2 } dd_dip_kind;
const char *dd_dip_kind_name(dd_dip_kind k); /* "CORE", "BASIC", "COMPREHENSIVE" */

/* Procedure code -> class, from `code class` lines (procedure-category.txt:
 * 手术 / 介入治疗 / 治疗性操作 / 诊断性操作, or blank = none). */
typedef struct dd_dip_classes dd_dip_classes;
dd_dip_classes *dd_dip_classes_new(const char *buf, size_t len, char *errstr,
                                   size_t errlen);
void dd_dip_classes_destroy(dd_dip_classes *c);
dd_dip_class dd_dip_classes_lookup(const dd_dip_classes *c, const char *code);
/* Codes loaded, and lines skipped because they carry a class but no code
 * (the published procedure-category.txt has 42 such lines). */
int dd_dip_classes_count(const dd_dip_classes *c);
int dd_dip_classes_skipped(const dd_dip_classes *c);
/* Highest class among the procedures; unclassed codes are ignored and no
 * classed procedure at all gives DD_DIP_CLASS_CONSERVATIVE. */
dd_dip_class dd_dip_case_class(const dd_dip_classes *c, const char *const *procedures,
                               int n_procedures);

/* One library entry (a DIP group). Named dd_dip_entry, not dd_dip_group,
 * because dd_dip_group() is the grouping function. */
typedef struct {
    char code[16];
    char name[128];
    char main_dx[16];
    int64_t score_e4;    /* the group's weight W, 1/10000 */
    int64_t ref_cost_fen;
    dd_dip_kind kind;
    dd_dip_class comp_class; /* COMPREHENSIVE only */
} dd_dip_entry;

typedef struct dd_dip_library dd_dip_library;

/* Parse a library CSV (header dip_code,name,main_dx,procedures,score,ref_cost,kind;
 * columns found by name, extra columns ignored; optional BOM, CRLF, blank lines
 * skipped; no quoting). score: > 0, at most 4 decimals; ref_cost: yuan > 0, at
 * most 2 decimals, <= 100,000,000.00; dip_code and main_dx 1..15 characters;
 * dip_code unique; names longer than 127 bytes are cut at a character boundary.
 * The class table must outlive the library. NULL on error ("line N: ..."). */
dd_dip_library *dd_dip_library_new(const char *csv, size_t len,
                                   const dd_dip_classes *classes, char *errstr,
                                   size_t errlen);
void dd_dip_library_destroy(dd_dip_library *lib);
int dd_dip_library_count(const dd_dip_library *lib);
/* Smallest score in the library (for `lowest_weight`); 0 when empty. */
int64_t dd_dip_library_lowest_score(const dd_dip_library *lib);
int dd_dip_library_count_kind(const dd_dip_library *lib, dd_dip_kind kind);
/* i-th group in file order (0-based), NULL when out of range. */
const dd_dip_entry *dd_dip_library_get(const dd_dip_library *lib, int i);
/* Group by dip_code (linear scan: for tools and tests, not the hot path). */
const dd_dip_entry *dd_dip_library_find(const dd_dip_library *lib, const char *code);

typedef struct {
    const char *main_dx;
    const char *const *procedures;
    int n_procedures;
    int64_t medfee_fen; /* for the nearest-ref_cost tie break */
} dd_dip_input;

typedef struct {
    const dd_dip_entry *group; /* NULL when ungroupable */
    const char *reason;        /* "OK", "NO_MAIN_DX", "NO_DIP_GROUP" */
    dd_dip_class case_class;   /* highest class among the procedures */
    char path[256];            /* one line saying how the group was chosen */
} dd_dip_result;

/* Group one case. Allocates nothing; the library is only read, so threads
 * may share it. Fills every field, path included (same as
 * dd_dip_group_ex(lib, in, out, DD_DIP_WANT_PATH)). */
void dd_dip_group(const dd_dip_library *lib, const dd_dip_input *in, dd_dip_result *out);

/* Flags for dd_dip_group_ex. */
#define DD_DIP_WANT_PATH 1u /* format out->path (explain); costs an snprintf */

/* dd_dip_group with the explanation text only on request: without
 * DD_DIP_WANT_PATH, out->path is the empty string and no text is formatted
 * (the hot path: ledger / processor). group, reason and case_class are the
 * same as dd_dip_group's for any flags. */
void dd_dip_group_ex(const dd_dip_library *lib, const dd_dip_input *in, dd_dip_result *out,
                     unsigned flags);

#endif
