/*
 * dd_points — what a case is worth (SPEC §5, §11 "Categories").
 *
 * Every formula is evaluated exactly on dd_rat and rounded once, half away
 * from zero, to 4 decimals (points in 1/10000). No floating point.
 */
#ifndef DD_POINTS_H
#define DD_POINTS_H

#include <stdint.h>

#include "dd_num.h"
#include "dd_policy.h"

typedef enum {
    DD_CAT_NORMAL = 0,
    DD_CAT_HIGH,
    DD_CAT_LOW,
    DD_CAT_BED_DAY,
    DD_CAT_FFS,
    DD_CAT_UNGROUPABLE,
    DD_CAT_SPECIAL,
    DD_CAT__COUNT
} dd_category;

/* "NORMAL", "HIGH", ... in SPEC order. */
const char *dd_category_name(dd_category c);

/* Hospital coefficient C from percentages in 1/10000 percent
 * (105 % -> 1050000): multiply = prod p/100; add = 1 + sum(p/100 - 1);
 * none (n == 0) = 1. */
dd_rat dd_points_coefficient(const int64_t *pct_e4, int n, dd_coef_combine mode);

/* Grouped case (DRG or DIP): weight W (1/10000), reference cost `ref`
 * (DRG: W x base rate of the hospital level; DIP: the group's ref_cost),
 * cost in fen, coefficient C. Decides NORMAL / HIGH / LOW by k = cost / ref
 * against the policy ratios (equal to a threshold is NORMAL) and returns the
 * points. Returns 0, or -1 when ref <= 0 or the arithmetic overflows. */
int dd_points_grouped(const dd_policy *p, int64_t weight_e4, dd_rat ref,
                      int64_t medfee_fen, dd_rat coef, dd_category *cat,
                      int64_t *points_e4);

/* The same on the exact dd_rat path only (dd_points_grouped takes a 128-bit
 * integer fast path when bounds allow); for equivalence tests. */
int dd_points_grouped_exact(const dd_policy *p, int64_t weight_e4, dd_rat ref,
                            int64_t medfee_fen, dd_rat coef, dd_category *cat,
                            int64_t *points_e4);

/* The 128-bit integer fast path alone: 0 / -1 as dd_points_grouped, or 1
 * when its bounds do not prove the result equal to the exact path's. */
int dd_points_grouped_fast(const dd_policy *p, int64_t weight_e4, dd_rat ref,
                           int64_t medfee_fen, dd_rat coef, dd_category *cat,
                           int64_t *points_e4);

/* DRG reference cost: W x drg.base_rate.level<level>. */
dd_rat dd_points_drg_ref(const dd_policy *p, int64_t weight_e4, int level);
/* The same as a product of two dd_rat (reference for tests). */
dd_rat dd_points_drg_ref_exact(const dd_policy *p, int64_t weight_e4, int level);

/* Bed-day: (daily_fund_standard / reimb_ratio) x ipt_days / baseline x C x scale. */
int dd_points_bedday(const dd_policy *p, const dd_bedday_rule *rule, int ipt_days,
                     dd_rat coef, int64_t *points_e4);

/* Fee-for-service: medfee / baseline x C x scale. */
int dd_points_ffs(const dd_policy *p, int64_t medfee_fen, dd_rat coef,
                  int64_t *points_e4);

/* W x C x scale (used for `lowest_weight`). */
int dd_points_weight_only(const dd_policy *p, int64_t weight_e4, dd_rat coef,
                          int64_t *points_e4);

/* The last three on the exact dd_rat path only (the functions above take a
 * 128-bit integer fast path when bounds allow); for equivalence tests. */
int dd_points_bedday_exact(const dd_policy *p, const dd_bedday_rule *rule, int ipt_days,
                           dd_rat coef, int64_t *points_e4);
int dd_points_ffs_exact(const dd_policy *p, int64_t medfee_fen, dd_rat coef,
                        int64_t *points_e4);
int dd_points_weight_only_exact(const dd_policy *p, int64_t weight_e4, dd_rat coef,
                                int64_t *points_e4);

#endif
