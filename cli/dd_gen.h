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
 *   - costs ~ reference x a bell-shaped factor (0.55..1.6), ~3 % high outliers
 *     (2.1..4x) and ~5 % low ones (0.08..0.33x); BED_DAY and FFS cases;
 *   - lists (some before the settlement, some late, some re-uploaded), QC
 *     results (some failures, half of them corrected), reconciliations (not
 *     all), reversals, special cases (applied / approved / rejected), a few
 *     ungroupable lists (invalid sex, unknown DIP diagnosis), duplicate
 *     event ids (identical re-sends), readmitted persons;
 *   - yearly BUDGET events per region x insutype (~12 x the expected monthly
 *     cost, so point values are plausible) and one monthly budget.
 * Events come out sorted by event_time (ties: generation order).
 */
#ifndef DD_GEN_H
#define DD_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "dd_event.h"
#include "dd_refdata.h"

typedef struct dd_gen dd_gen;

typedef struct {
    int cases;        /* settlements per month (>= 1) */
    int32_t month;    /* last month (dd_time month index) */
    int months;       /* number of months ending at `month` (>= 1) */
    uint64_t seed;
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
