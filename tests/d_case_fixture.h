/*
 * d_case_fixture — a tiny in-memory DIP data set for the event / case tests
 * (0032, 0033), built through the dd_refdata API so those tests do not
 * depend on the shipped data directory or the DRG tables.
 *
 * Regions 220400 (DIP, coefficients by sum) and 220500 (DIP). Hospitals:
 *   H22040000001 220400 level 3, 100      -> C = 1
 *   H22040000002 220400 level 2, 95;110   -> C = 1 + (-0.05 + 0.10) = 1.05
 *   H22050000001 220500 level 1, (none)   -> C = 1
 * Policy 220400: baseline 7000.00, REHAB 240.00/day at 0.80, high 2, low 0.5,
 * late_list_days 7, ungroupable ffs, basic_same_pay true.
 * Library 220400:
 *   C0001 K80.1 conservative      W 0.5000 ref  5000.00 CORE
 *   C0002 K80.1 51.2200/51.2300   W 1.2000 ref 12000.00 CORE
 *   B0001 J18.9 conservative      W 0.4000 ref  3000.00 BASIC
 *   Z0001 K80   相关手术           W 0.9000 ref  9000.00 COMPREHENSIVE
 */
#ifndef D_CASE_FIXTURE_H
#define D_CASE_FIXTURE_H

#include <string.h>

#include "dd_refdata.h"

typedef struct {
    dd_dip_classes *classes;
    dd_dataset *ds;
} d_fixture;

#define D_LIT(s) s, sizeof(s) - 1

static const char d_policy_220400[] =
    "scheme = DIP\n"
    "points_scale = 10000\n"
    "coef_combine = add\n"
    "outlier.high_ratio = 2\n"
    "outlier.high_excess_ratio = 1\n"
    "outlier.low_ratio = 0.5\n"
    "baseline_avg_cost = 7000.00\n"
    "bedday.REHAB.daily_fund_standard = 240.00\n"
    "bedday.REHAB.reimb_ratio = 0.80\n"
    "ungroupable = ffs\n"
    "ineligible = hold\n"
    "retention_rate = 0.06\n"
    "late_list_days = 7\n"
    "late_list_excluded = true\n"
    "basic_same_pay = true\n";

static inline int d_fixture_open(d_fixture *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->classes = dd_dip_classes_new(D_LIT("51.2200 手术\n51.2300 手术\n87.0300 诊断性操作\n"), err,
                                    errlen);
    if (!f->classes)
        return -1;
    f->ds = dd_dataset_new(NULL, f->classes);
    if (!f->ds)
        return -1;
    if (dd_dataset_load_regions(f->ds,
                                D_LIT("admdvs,name,scheme\n220400,辽源市,DIP\n220500,通化市,DIP\n"),
                                err, errlen) ||
        dd_dataset_load_hospitals(f->ds,
                                  D_LIT("fixmedins_code,name,admdvs,level,coefficients\n"
                                        "H22040000001,甲,220400,3,100\n"
                                        "H22040000002,乙,220400,2,95;110\n"
                                        "H22050000001,丙,220500,1,\n"),
                                  err, errlen) ||
        dd_dataset_load_policy(f->ds, "220400", D_LIT(d_policy_220400), err, errlen) ||
        dd_dataset_load_policy(f->ds, "220500", D_LIT("scheme = DIP\nbaseline_avg_cost = 5000.00\n"),
                               err, errlen) ||
        dd_dataset_load_dip_library(f->ds, "220400",
                                    D_LIT("dip_code,name,main_dx,procedures,score,ref_cost,kind\n"
                                          "C0001,胆囊结石-保守治疗,K80.1,,0.5000,5000.00,CORE\n"
                                          "C0002,胆囊结石-胆囊切除,K80.1,51.2200/51.2300,1.2000,12000.00,CORE\n"
                                          "B0001,肺炎-基层,J18.9,,0.4000,3000.00,BASIC\n"
                                          "Z0001,胆石症-综合,K80,相关手术,0.9000,9000.00,COMPREHENSIVE\n"),
                                    err, errlen) ||
        dd_dataset_load_dip_library(f->ds, "220500",
                                    D_LIT("dip_code,name,main_dx,procedures,score,ref_cost,kind\n"
                                          "C0001,胆囊结石-保守治疗,K80.1,,0.6000,5000.00,CORE\n"),
                                    err, errlen) ||
        dd_dataset_finish(f->ds, err, errlen))
        return -1;
    return 0;
}

static inline void d_fixture_close(d_fixture *f)
{
    dd_dataset_destroy(f->ds);
    dd_dip_classes_destroy(f->classes);
    memset(f, 0, sizeof *f);
}

#endif
