/*
 * dd_refdata — the reference data a case is scored with (SPEC §9): pooling
 * regions, hospitals, per-region policy, DRG weights or DIP library.
 *
 * A dd_dataset is built from file CONTENTS (this module does no I/O; the CLI's
 * dd_datadir reads the layered files): load regions first, then hospitals,
 * then each region's policy and weights/library, then dd_dataset_finish(),
 * which checks that every region is complete and computes per-hospital
 * coefficients, per-region hospital lists sorted by code and lowest weights.
 * After finish the dataset is immutable and may be shared by threads.
 *
 * It OWNS regions, hospitals, policies, DRG weight tables and DIP libraries;
 * it BORROWS the shared dd_drg_tables and dd_dip_classes (they must outlive it).
 *
 * File formats (UTF-8, header row, comma-separated, no quoting, an optional
 * BOM and CRLF line ends are accepted, columns found by header name):
 *   regions.csv    admdvs,name,scheme          admdvs 6 digits, scheme DRG|DIP
 *   hospitals.csv  fixmedins_code,name,admdvs,level,coefficients
 *                  code 1..32 chars [A-Za-z0-9_-], level 1..3, coefficients:
 *                  percents 0..200 with up to 4 decimals, ';'-separated,
 *                  at most DD_MAX_COEF, may be empty (C = 1)
 *   drg/<admdvs>.csv  drg_code,name,weight     weight > 0, up to 4 decimals
 *   dip/<admdvs>.csv  see dd_dip.h
 * Errors name the line: "hospitals.csv line 7: level must be 1, 2 or 3".
 */
#ifndef DD_REFDATA_H
#define DD_REFDATA_H

#include <stddef.h>
#include <stdint.h>

#include "dd_dip.h"
#include "dd_drg.h"
#include "dd_num.h"
#include "dd_policy.h"

#define DD_CODE_MAX 32 /* fixmedins_code, setl_id ... see dd_event.h */
#define DD_MAX_COEF 8

typedef struct dd_weight_table dd_weight_table;

typedef struct {
    char code[DD_CODE_MAX + 1]; /* fixmedins_code */
    const char *name;
    int region;                 /* index of its region in the dataset */
    int level;                  /* 1..3 */
    int n_coef;
    int64_t coef_pct_e4[DD_MAX_COEF]; /* percent x 10000 (105 % -> 1050000) */
    dd_rat coef;                /* combined by the region's coef_combine */
    int index;                  /* index in the dataset */
} dd_hospital;

typedef struct {
    char admdvs[7];
    const char *name;
    dd_scheme scheme;
    dd_policy policy;
    int has_policy;
    const dd_weight_table *drg_weights; /* DRG regions */
    const dd_dip_library *dip;          /* DIP regions */
    int64_t lowest_weight_e4;           /* smallest DRG weight / DIP score */
    int n_hospitals;
    const int *hospitals;               /* dataset indices, sorted by code */
    int index;
} dd_region;

typedef struct dd_dataset dd_dataset;

dd_dataset *dd_dataset_new(const dd_drg_tables *drg, const dd_dip_classes *classes);
/* Set the borrowed tables later (after regions.csv tells which are needed);
 * before loading any DIP library / finishing. */
void dd_dataset_set_tables(dd_dataset *ds, const dd_drg_tables *drg, const dd_dip_classes *classes);
void dd_dataset_destroy(dd_dataset *ds);

int dd_dataset_load_regions(dd_dataset *ds, const char *csv, size_t len, char *errstr,
                            size_t errlen);
int dd_dataset_load_hospitals(dd_dataset *ds, const char *csv, size_t len, char *errstr,
                              size_t errlen);
int dd_dataset_load_policy(dd_dataset *ds, const char *admdvs, const char *text, size_t len,
                           char *errstr, size_t errlen);
int dd_dataset_load_drg_weights(dd_dataset *ds, const char *admdvs, const char *csv, size_t len,
                                char *errstr, size_t errlen);
int dd_dataset_load_dip_library(dd_dataset *ds, const char *admdvs, const char *csv, size_t len,
                                char *errstr, size_t errlen);
/* Every region needs a policy; DRG regions DRG weights and the DRG tables;
 * DIP regions a library. Returns 0 or -1 with the first problem. */
int dd_dataset_finish(dd_dataset *ds, char *errstr, size_t errlen);

int dd_dataset_region_count(const dd_dataset *ds);
const dd_region *dd_dataset_region_at(const dd_dataset *ds, int i);
const dd_region *dd_dataset_region(const dd_dataset *ds, const char *admdvs); /* NULL: unknown */
int dd_dataset_hospital_count(const dd_dataset *ds);
const dd_hospital *dd_dataset_hospital_at(const dd_dataset *ds, int i);
const dd_hospital *dd_dataset_hospital(const dd_dataset *ds, const char *code);
const dd_hospital *dd_dataset_hospital_n(const dd_dataset *ds, const char *code, size_t len);
const dd_drg_tables *dd_dataset_drg_tables(const dd_dataset *ds);
const dd_dip_classes *dd_dataset_dip_classes(const dd_dataset *ds);

/* Weight of a DRG code in a region's table: 0 and *w, or -1 when absent. */
int dd_weight_lookup(const dd_weight_table *t, const char *drg_code, int64_t *w_e4);
int dd_weight_count(const dd_weight_table *t);

#endif
