/*
 * dd_gen — synthetic input events (SPEC §2) for a dataset: the engine of
 * `drgdip gen`, also used in-process by `drgdip demo` and the stream bench.
 *
 * The generator is a pure function of (dataset, casemix, DIP procedure hints,
 * options): the same inputs and seed give the same events, in the same order,
 * on every machine (a private xoshiro256** PRNG; doubles only for sampling,
 * turned into fen by rounding). It does no I/O: the caller hands in file
 * contents and receives events through a callback.
 *
 * Per month it generates `cases` settlements over the dataset's hospitals
 * (level-3 hospitals get more), both insurance types, with:
 *   - clinical content: DRG regions from the casemix templates
 *     (data/jilin/casemix-drg.csv, scripts/gen_casemix.py), each template
 *     grouped once with dd_drg_group and priced with the region's weight x
 *     base rate of the hospital level; DIP regions from the region's library
 *     (main_dx = the group's prefix + "00", procedures = first alternative of
 *     each term), priced at the group's ref_cost;
 *   - costs ~ reference x a bell-shaped factor (0.5..1.49), ~1 % high
 *     outliers (2.1..4x) and ~5 % low ones (0.08..0.33x); BED_DAY and FFS;
 *   - lists (some before the settlement, some late, some re-uploaded), QC
 *     results (some failures, half of them corrected), reconciliations (not
 *     all), reversals, special cases (applied / approved / rejected), a few
 *     ungroupable lists (invalid sex, unknown DIP diagnosis), duplicate
 *     event ids (identical re-sends), readmitted persons (never within 15
 *     days: that is SPLIT_ADMISSION);
 *   - yearly BUDGET events per region x insutype (~12 x the expected monthly
 *     cost, so point values are plausible) and one monthly budget.
 * STRATIFIED so that clean data fires no SPEC §8 alert at default
 * thresholds (core/dd_alert.h evaluates month-to-date rates as events
 * arrive, from 30 cases on): hospitals take turns in a fixed weighted cycle
 * (the same number of cases every month), spread evenly over the month's
 * days; the k-th case of a hospital in a month takes its irregularity from
 * a fixed 100-slot pattern and its group from the hospital's palette of a
 * few groups ordered so that any run keeps the palette's CMI and CC/MCC
 * share. --inject (dd_gen_inject) then changes the last month of chosen
 * hospitals / regions.
 * Events come out sorted by event_time (ties: generation order).
 */
#ifndef DD_GEN_H
#define DD_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "dd_event.h"
#include "dd_refdata.h"

typedef struct dd_gen dd_gen;

/* Anomalies injected in the LAST month (`gen --inject`), one per target:
 * each makes exactly one SPEC §8 alert family fire for its hospital (or
 * region), the earlier months and every other hospital staying clean. */
typedef enum {
    DD_GEN_INJ_UPCODING = 0, /* heavier DRGs with an MCC: CMI_JUMP (+ CC_MCC_SHARE_JUMP) */
    DD_GEN_INJ_SPLIT,        /* readmissions <= 15 days: SPLIT_ADMISSION */
    DD_GEN_INJ_SPIKE,        /* one day's volume x3 (>= 20): VOLUME_SPIKE */
    DD_GEN_INJ_LOWSTD,       /* half the cases low outliers, short: LOW_STANDARD_ADMISSION */
    DD_GEN_INJ_TRANSFER,     /* 20 % more dscg_way 2: TRANSFER_OUT_RATE */
    DD_GEN_INJ_SPECIAL,      /* 12.5 % special cases applied: SPECIAL_CASE_QUOTA */
    DD_GEN_INJ_LATE,         /* 25 % late lists: LATE_LIST */
    DD_GEN_INJ_QC,           /* 25 % QC failures, uncorrected: QC_FAILURE_RATE */
    DD_GEN_INJ_UNGROUPABLE,  /* 1/3 ungroupable lists (whole palette cycles): GROUPING_RATE_LOW */
    DD_GEN_INJ_BUDGET,       /* region: year budget cut to 1/4 at the start of the
                                last month, spending goes on: BUDGET_BURN (and
                                POINT_VALUE_DROP when a planned value exists) */
    DD_GEN_INJ__COUNT
} dd_gen_inject_type;

typedef struct {
    dd_gen_inject_type type;
    int target; /* hospital index (dd_dataset_hospital_at), region index for BUDGET */
} dd_gen_inject;

#define DD_GEN_MAX_INJECT 64

const char *dd_gen_inject_name(dd_gen_inject_type t); /* "upcoding", ... */

/* Parses "TYPE=FIXMEDINS_CODE[,TYPE=CODE...]" (budget=ADMDVS) into out[]
 * (appending after *n). 0, or -1 with a message naming the bad item
 * (unknown type, unknown hospital or region, too many). */
int dd_gen_parse_inject(const dd_dataset *ds, const char *spec, dd_gen_inject *out, int *n,
                        char *errstr, size_t errlen);

typedef struct {
    int cases;        /* settlements per month (>= 1) */
    int32_t month;    /* last month (dd_time month index) */
    int months;       /* number of months ending at `month` (>= 1) */
    uint64_t seed;
    const dd_gen_inject *inject; /* may be NULL */
    int n_inject;
} dd_gen_options;

/* Counts of what was generated (the event mix). */
typedef struct {
    long events;
    long by_type[DD_EV__COUNT];
    long settlements, drg_cases, dip_cases, insutype310, insutype390;
    long bed_day, ffs, high_outliers, low_outliers;
    long no_list, late_lists, early_lists, reuploads, qc_failed, qc_corrected;
    long unreconciled, reversals, special_applied, special_approved, special_rejected;
    long duplicates, ungroupable_lists, readmissions, budgets;
    long dip_core, dip_basic, dip_comprehensive; /* DIP groups aimed at, by kind */
    int templates, templates_grouped; /* DRG casemix templates, of which SUCCESS */
    long injected_cases;      /* cases changed or added by --inject */
    int inject_min_month_cases; /* fewest last-month cases of an injected hospital, -1 none */
} dd_gen_stats;

/* Receives each event in order; a non-zero return stops generation. */
typedef int (*dd_gen_sink)(void *ctx, const dd_event *ev);

/* The dataset is borrowed (must outlive the generator). */
dd_gen *dd_gen_new(const dd_dataset *ds, char *errstr, size_t errlen);
void dd_gen_destroy(dd_gen *g);

/* DRG casemix CSV (header adrg,gend,age_min,age_max,age_days,nwb_bir_wt,
 * main_dx,other_dx,procedures; columns by name). Needed when a DRG region
 * exists. 0, or -1 with "line N: ..." in errstr. */
int dd_gen_load_casemix(dd_gen *g, const char *csv, size_t len, char *errstr, size_t errlen);

/* A DIP region's library CSV (the same file the dataset loaded), read only
 * for each group's procedure terms. Optional: without it DIP cases carry no
 * procedures. 0, or -1 with errstr. */
int dd_gen_load_dip_procedures(dd_gen *g, const char *admdvs, const char *csv, size_t len,
                               char *errstr, size_t errlen);

/* Generate. Returns 0, 1 when the sink stopped it, -1 on error (errstr). */
int dd_gen_run(dd_gen *g, const dd_gen_options *opt, dd_gen_sink sink, void *ctx,
               dd_gen_stats *stats, char *errstr, size_t errlen);

/* File-reading constructor (in cmd_gen.c, the CLI edge): the casemix
 * (casemix-drg.csv) and every DIP region's library, each from override_dir
 * when it is there (may be NULL), else from the shipped <data>/jilin/.
 * NULL with errstr when the casemix is needed and cannot be read. */
dd_gen *dd_gen_open(const dd_dataset *ds, const char *override_dir, char *errstr, size_t errlen);

/* One-paragraph human summary of the stats (for stderr). */
void dd_gen_stats_format(const dd_gen_stats *s, char *buf, size_t cap);

#endif
