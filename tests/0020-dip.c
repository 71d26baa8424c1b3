/* dd_dip: procedure classes, library parsing (errors with line numbers),
 * every SPEC §11 matching rule and tie break on a small in-memory library,
 * the golden replay library with hand-checked cases, and the shipped
 * data/jilin/dip libraries (parse, counts, every CORE/BASIC group reachable
 * from a case built from its own codes). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_dip.h"
#include "dd_file.h"

/* ------------------------------------------------------------ fixtures */

static const char CLASSES[] = "51.2300 手术\n"
                              "51.2200 手术\n"
                              "51.5100 手术\n"
                              "88.0100 诊断性操作\n"
                              "00.5500 介入治疗\n"
                              "03.9101 治疗性操作\n"
                              " 治疗性操作\n"  /* class without a code: skipped */
                              "99.9999\n";     /* code without a class */

/* Rows out of code order on purpose: the tie breaks must not depend on it. */
static const char LIB[] =
    "dip_code,name,main_dx,procedures,score,ref_cost,kind\n"
    "C1,胆结石 3 位,K80,,1.0000,7000.00,CORE\n"
    "C2,胆囊结石伴胆囊炎-保守,K80.1,,0.9000,6000.00,CORE\n"
    "C3,胆囊结石伴胆囊炎-胆囊切除,K80.1,51.23/51.22,2.0000,14000.00,CORE\n"
    "C4,胆囊结石伴胆囊炎-联合,K80.1,51.23+51.51,3.0000,21000.00,CORE\n"
    "B1,胆囊结石伴胆囊炎-基层,K80.1,,0.8000,5000.00,BASIC\n"
    "C6,肺炎 b,J18.9,,1.0000,7000.00,CORE\n"
    "C5,肺炎 a,J18.9,,1.1000,5000.00,CORE\n"
    "C10,肾结石 3 位两项,N20,55.01+98.51,4.0000,28000.00,CORE\n"
    "C11,肾结石-保守,N20.0,,0.7000,4900.00,CORE\n"
    "Z1,K81 保守,K81,保守治疗,0.6000,4200.00,COMPREHENSIVE\n"
    "Z2,K81 诊断,K81,诊断性操作,0.7000,4900.00,COMPREHENSIVE\n"
    "Z3,K81 治疗,K81,治疗性操作,1.2000,8400.00,COMPREHENSIVE\n"
    "Z4,K81 手术,K81,相关手术,2.5000,17500.00,COMPREHENSIVE\n"
    "Z6,K81.0 手术,K81.0,相关手术,2.7000,18900.00,COMPREHENSIVE\n"
    "Z9,K82 保守,K82,保守治疗,0.5000,3500.00,COMPREHENSIVE\n"
    "Z8,K82 诊断 b,K82,诊断性操作,0.6000,4200.00,COMPREHENSIVE\n"
    "Z7,K82 诊断 a,K82,诊断性操作,0.6500,4550.00,COMPREHENSIVE\n";

static dd_dip_classes *cls;
static dd_dip_library *lib;
static char err[256];

static void setup(void)
{
    cls = dd_dip_classes_new(CLASSES, strlen(CLASSES), err, sizeof err);
    cr_assert_not_null(cls, "%s", err);
    lib = dd_dip_library_new(LIB, strlen(LIB), cls, err, sizeof err);
    cr_assert_not_null(lib, "%s", err);
}

static void teardown(void)
{
    dd_dip_library_destroy(lib);
    dd_dip_classes_destroy(cls);
}

TestSuite(dip, .init = setup, .fini = teardown);

/* dd_dip_group_ex must agree with dd_dip_group (already run into *full):
 * without DD_DIP_WANT_PATH the same group, reason and class and an empty
 * path; with it, the very same result. */
static void check_ex(const dd_dip_library *l, const dd_dip_input *in, const dd_dip_result *full)
{
    dd_dip_result r;
    memset(&r, 'x', sizeof r); /* stale text must not survive */
    dd_dip_group_ex(l, in, &r, 0);
    cr_assert_eq(r.group, full->group);
    cr_assert_str_eq(r.reason, full->reason);
    cr_assert_eq(r.case_class, full->case_class);
    cr_assert_str_eq(r.path, "");
    memset(&r, 'x', sizeof r);
    dd_dip_group_ex(l, in, &r, DD_DIP_WANT_PATH);
    cr_assert_eq(r.group, full->group);
    cr_assert_str_eq(r.reason, full->reason);
    cr_assert_eq(r.case_class, full->case_class);
    cr_assert_str_eq(r.path, full->path);
}

/* Group one case; returns the group code or "-" when ungroupable. */
static const char *grp(const dd_dip_library *l, const char *mdx, int64_t fee, int np, ...)
{
    static dd_dip_result r;
    const char *procs[8];
    va_list ap;
    va_start(ap, np);
    for (int i = 0; i < np; i++)
        procs[i] = va_arg(ap, const char *);
    va_end(ap);
    dd_dip_input in = {mdx, procs, np, fee};
    dd_dip_group(l, &in, &r);
    check_ex(l, &in, &r);
    if (!r.group) {
        cr_assert_str_neq(r.reason, "OK");
        return "-";
    }
    cr_assert_str_eq(r.reason, "OK");
    cr_assert(r.path[0] != '\0');
    return r.group->code;
}

/* ------------------------------------------------------------ classes */

Test(dip, classes_file)
{
    cr_assert_eq(dd_dip_classes_count(cls), 7);
    cr_assert_eq(dd_dip_classes_skipped(cls), 1);
    cr_assert_eq(dd_dip_classes_lookup(cls, "51.2300"), DD_DIP_CLASS_SURGERY);
    cr_assert_eq(dd_dip_classes_lookup(cls, "88.0100"), DD_DIP_CLASS_DIAGNOSTIC);
    cr_assert_eq(dd_dip_classes_lookup(cls, "00.5500"), DD_DIP_CLASS_THERAPEUTIC); /* 介入治疗 */
    cr_assert_eq(dd_dip_classes_lookup(cls, "03.9101"), DD_DIP_CLASS_THERAPEUTIC);
    cr_assert_eq(dd_dip_classes_lookup(cls, "99.9999"), DD_DIP_CLASS_NONE);
    cr_assert_eq(dd_dip_classes_lookup(cls, "12.3456"), DD_DIP_CLASS_NONE);
    cr_assert_eq(dd_dip_classes_lookup(cls, "51.23"), DD_DIP_CLASS_NONE); /* exact codes only */
    cr_assert_str_eq(dd_dip_class_name(DD_DIP_CLASS_SURGERY), "相关手术");
    cr_assert_str_eq(dd_dip_class_name(DD_DIP_CLASS_CONSERVATIVE), "保守治疗");
    cr_assert_str_eq(dd_dip_kind_name(DD_DIP_BASIC), "BASIC");

    const char *p1[] = {"88.0100", "00.5500"};
    cr_assert_eq(dd_dip_case_class(cls, p1, 2), DD_DIP_CLASS_THERAPEUTIC);
    const char *p2[] = {"99.9999", "12.3456"};
    cr_assert_eq(dd_dip_case_class(cls, p2, 2), DD_DIP_CLASS_CONSERVATIVE);
    cr_assert_eq(dd_dip_case_class(cls, NULL, 0), DD_DIP_CLASS_CONSERVATIVE);
    const char *p3[] = {"88.0100", "51.2200", "03.9101"};
    cr_assert_eq(dd_dip_case_class(cls, p3, 3), DD_DIP_CLASS_SURGERY);
}

Test(dip, classes_errors)
{
    const char bad[] = "51.2300 手术\n51.2200 外科\n";
    cr_assert_null(dd_dip_classes_new(bad, strlen(bad), err, sizeof err));
    cr_assert(strstr(err, "line 2") != NULL, "%s", err);
    const char twice[] = "51.2300 手术\n51.2300 诊断性操作\n";
    cr_assert_null(dd_dip_classes_new(twice, strlen(twice), err, sizeof err));
    cr_assert(strstr(err, "51.2300") != NULL, "%s", err);
}

/* ------------------------------------------------------------ library */

Test(dip, library_summary)
{
    cr_assert_eq(dd_dip_library_count(lib), 17);
    cr_assert_eq(dd_dip_library_count_kind(lib, DD_DIP_CORE), 8);
    cr_assert_eq(dd_dip_library_count_kind(lib, DD_DIP_BASIC), 1);
    cr_assert_eq(dd_dip_library_count_kind(lib, DD_DIP_COMPREHENSIVE), 8);
    cr_assert_eq(dd_dip_library_lowest_score(lib), 5000);
    const dd_dip_entry *e = dd_dip_library_get(lib, 2);
    cr_assert_str_eq(e->code, "C3");
    cr_assert_str_eq(e->main_dx, "K80.1");
    cr_assert_eq(e->score_e4, 20000);
    cr_assert_eq(e->ref_cost_fen, 1400000);
    cr_assert_eq(e->kind, DD_DIP_CORE);
    cr_assert_null(dd_dip_library_get(lib, 17));
    cr_assert_null(dd_dip_library_get(lib, -1));
    e = dd_dip_library_find(lib, "Z6");
    cr_assert_not_null(e);
    cr_assert_eq(e->kind, DD_DIP_COMPREHENSIVE);
    cr_assert_eq(e->comp_class, DD_DIP_CLASS_SURGERY);
    cr_assert_str_eq(e->name, "K81.0 手术");
    cr_assert_null(dd_dip_library_find(lib, "C99"));
}

/* ------------------------------------------------------------ CORE/BASIC */

Test(dip, longest_main_dx_prefix)
{
    /* K80.1 groups beat the 3-character K80 group */
    cr_assert_str_eq(grp(lib, "K80.100", 600000, 0), "C2");
    /* no K80.2 group: falls back to K80 */
    cr_assert_str_eq(grp(lib, "K80.200", 600000, 0), "C1");
    cr_assert_str_eq(grp(lib, "K80", 600000, 0), "C1");
    /* a longer main_dx wins even with fewer procedure terms */
    cr_assert_str_eq(grp(lib, "N20.000", 2800000, 2, "55.0100", "98.5100"), "C11");
    cr_assert_str_eq(grp(lib, "N20.100", 2800000, 2, "55.0100", "98.5100"), "C10");
    /* N20.1 without both terms: nothing at N20.x or N20 fits, and no
     * COMPREHENSIVE N20 group -> ungroupable */
    cr_assert_str_eq(grp(lib, "N20.100", 2800000, 1, "55.0100"), "-");
}

Test(dip, procedure_terms)
{
    /* alternative 51.23 is a prefix of the case's code */
    cr_assert_str_eq(grp(lib, "K80.100", 600000, 1, "51.2300x001"), "C3");
    cr_assert_str_eq(grp(lib, "K80.100", 600000, 1, "51.2200"), "C3");
    /* both terms of C4 present: most terms wins, whatever the cost */
    cr_assert_str_eq(grp(lib, "K80.100", 100, 2, "51.5100", "51.2300"), "C4");
    /* only the second term of C4: C3/C4 out, conservative groups remain */
    cr_assert_str_eq(grp(lib, "K80.100", 600000, 1, "51.5100"), "C2");
    /* a case code shorter than the alternative does not match it */
    cr_assert_str_eq(grp(lib, "K80.100", 600000, 1, "51.2"), "C2");
    /* procedures do not keep a case out of a conservative (0-term) group */
    cr_assert_str_eq(grp(lib, "K80.100", 500000, 1, "88.0100"), "B1");
}

Test(dip, nearest_ref_cost_exact_in_fen)
{
    /* C2 6000.00, B1 5000.00 (both 0 terms, main_dx K80.1) */
    cr_assert_str_eq(grp(lib, "K80.100", 549999, 0), "B1");
    cr_assert_str_eq(grp(lib, "K80.100", 550001, 0), "C2");
    /* exactly half-way: smallest dip_code (B1 < C2) */
    cr_assert_str_eq(grp(lib, "K80.100", 550000, 0), "B1");
    cr_assert_str_eq(grp(lib, "K80.100", 0, 0), "B1");
    cr_assert_str_eq(grp(lib, "K80.100", 9999999999LL, 0), "C2");
    /* J18.9: C6 7000.00 listed before C5 5000.00; equidistant -> C5 */
    cr_assert_str_eq(grp(lib, "J18.900", 600000, 0), "C5");
    cr_assert_str_eq(grp(lib, "J18.900", 600001, 0), "C6");
    cr_assert_str_eq(grp(lib, "J18.900", 599999, 0), "C5");
}

/* ------------------------------------------------------------ COMPREHENSIVE */

Test(dip, comprehensive_by_class)
{
    cr_assert_str_eq(grp(lib, "K81.100", 0, 0), "Z1");
    cr_assert_str_eq(grp(lib, "K81.100", 0, 1, "88.0100"), "Z2");
    cr_assert_str_eq(grp(lib, "K81.100", 0, 1, "00.5500"), "Z3"); /* 介入治疗 */
    cr_assert_str_eq(grp(lib, "K81.100", 0, 1, "03.9101"), "Z3");
    cr_assert_str_eq(grp(lib, "K81.100", 0, 2, "88.0100", "51.2300"), "Z4"); /* highest */
    /* unclassed / unknown codes have no class: 保守治疗 */
    cr_assert_str_eq(grp(lib, "K81.100", 0, 2, "99.9999", "77.7777"), "Z1");
    /* longest main_dx prefix among the groups of the case's class */
    cr_assert_str_eq(grp(lib, "K81.000", 0, 1, "51.2300"), "Z6");
    cr_assert_str_eq(grp(lib, "K81.000", 0, 1, "88.0100"), "Z2");
}

Test(dip, comprehensive_exact_class_and_ties)
{
    /* K82 has no 相关手术 / 治疗性操作 group: no fallback to a lower class */
    cr_assert_str_eq(grp(lib, "K82.000", 0, 1, "51.2300"), "-");
    cr_assert_str_eq(grp(lib, "K82.000", 0, 1, "00.5500"), "-");
    /* two 诊断性操作 groups: smallest dip_code, not file order or cost */
    cr_assert_str_eq(grp(lib, "K82.000", 420000, 1, "88.0100"), "Z7");
    cr_assert_str_eq(grp(lib, "K82.000", 0, 0), "Z9");
}

Test(dip, ungroupable_and_result_fields)
{
    dd_dip_result r;
    const char *procs[] = {"51.2300"};
    dd_dip_input in = {"E11.900", procs, 1, 100};
    dd_dip_group(lib, &in, &r);
    cr_assert_null(r.group);
    cr_assert_str_eq(r.reason, "NO_DIP_GROUP");
    cr_assert_eq(r.case_class, DD_DIP_CLASS_SURGERY);
    cr_assert(strstr(r.path, "E11.900") != NULL, "%s", r.path);
    check_ex(lib, &in, &r);

    dd_dip_input none = {"", NULL, 0, 100};
    dd_dip_group(lib, &none, &r);
    cr_assert_null(r.group);
    cr_assert_str_eq(r.reason, "NO_MAIN_DX");
    check_ex(lib, &none, &r);
    none.main_dx = NULL;
    dd_dip_group(lib, &none, &r);
    cr_assert_str_eq(r.reason, "NO_MAIN_DX");
    check_ex(lib, &none, &r);
    dd_dip_input nolib = {"K81.100", NULL, 0, 100};
    dd_dip_group(NULL, &nolib, &r);
    cr_assert_null(r.group);
    cr_assert_str_eq(r.path, "no library");
    check_ex(NULL, &nolib, &r);

    dd_dip_input ok = {"K81.100", procs, 1, 100};
    dd_dip_group(lib, &ok, &r);
    cr_assert_str_eq(r.group->code, "Z4");
    cr_assert_eq(r.case_class, DD_DIP_CLASS_SURGERY);
    cr_assert(strstr(r.path, "Z4") != NULL, "%s", r.path);
    check_ex(lib, &ok, &r);
}

/* ------------------------------------------------------------ parse errors */

static void expect_error(const char *csv, const char *what)
{
    dd_dip_library *l = dd_dip_library_new(csv, strlen(csv), cls, err, sizeof err);
    if (l)
        dd_dip_library_destroy(l);
    cr_assert_null(l, "accepted: %s", csv);
    cr_assert(strstr(err, what) != NULL, "error '%s' lacks '%s'", err, what);
}

#define HDR "dip_code,name,main_dx,procedures,score,ref_cost,kind\n"
#define ROW1 "C1,a,K80.1,,1.0000,7000.00,CORE\n"

Test(dip, parse_errors)
{
    expect_error(HDR ROW1 "C2,b,K80.2,,1.23456,7000.00,CORE\n", "line 3: bad score");
    expect_error(HDR ROW1 "C2,b,K80.2,,abc,7000.00,CORE\n", "line 3: bad score");
    expect_error(HDR "C2,b,K80.2,,0,7000.00,CORE\n", "line 2: bad score");
    expect_error(HDR "C2,b,K80.2,,-1.5,7000.00,CORE\n", "line 2: bad score");
    expect_error(HDR "C2,b,K80.2,,1e3,7000.00,CORE\n", "line 2: bad score");
    expect_error(HDR ROW1 "\n" "C2,b,K80.2,,1.0,7000.001,CORE\n", "line 4: bad ref_cost");
    expect_error(HDR "C2,b,K80.2,,1.0,100000000.01,CORE\n", "line 2: bad ref_cost");
    expect_error(HDR ROW1 "C2,b,K80.2,,1.0,7000.00,DRG\n", "line 3: unknown kind");
    expect_error(HDR "C2,b,K80.2,,1.0,7000.00,core\n", "line 2: unknown kind");
    expect_error("dip_code,name,main_dx,procs,score,ref_cost,kind\n" ROW1, "line 1:");
    expect_error("dip_code,name,main_dx,procedures,score,ref_cost\n", "line 1:");
    expect_error("", "line 1:");
    expect_error(HDR ROW1 "C2,b,K80.2,,1.0,7000.00\n", "line 3:");
    expect_error(HDR ROW1 "C2,b,K80.2,,1.0,7000.00,CORE,extra\n", "line 3:");
    expect_error(HDR ROW1 "C1,b,K80.2,,1.0,7000.00,CORE\n", "line 3: dip_code C1 already on line 2");
    expect_error(HDR ",b,K80.2,,1.0,7000.00,CORE\n", "line 2:");
    expect_error(HDR "C2,b,,,1.0,7000.00,CORE\n", "line 2:");
    expect_error(HDR "C2,b,K80.2,51.23++51.51,1.0,7000.00,CORE\n", "line 2:");
    expect_error(HDR "C2,b,K80.2,51.23/,1.0,7000.00,CORE\n", "line 2:");
    expect_error(HDR "C2,b,K80.2,51.23 /51.22,1.0,7000.00,CORE\n", "line 2:");
    expect_error(HDR "Z1,b,K80,手术,1.0,7000.00,COMPREHENSIVE\n", "line 2:");
    expect_error(HDR "Z1,b,K80,,1.0,7000.00,COMPREHENSIVE\n", "line 2:");
}

Test(dip, parse_layout_variants)
{
    /* BOM, CRLF, blank lines, reordered and extra columns, long name cut */
    char name[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(name, "胆");
    char csv[1024];
    snprintf(csv, sizeof csv,
             "\xEF\xBB\xBFkind,score,extra,dip_code,main_dx,ref_cost,procedures,name\r\n"
             "CORE,1.5,x,C1,K80.1,7000,51.23/51.22+51.51,%s\r\n"
             "\r\n"
             "COMPREHENSIVE,2,y,Z1,K80,8000.5,相关手术,z",
             name);
    dd_dip_library *l = dd_dip_library_new(csv, strlen(csv), cls, err, sizeof err);
    cr_assert_not_null(l, "%s", err);
    cr_assert_eq(dd_dip_library_count(l), 2);
    const dd_dip_entry *e = dd_dip_library_get(l, 0);
    cr_assert_eq(e->score_e4, 15000);
    cr_assert_eq(e->ref_cost_fen, 700000);
    cr_assert_eq(strlen(e->name), 126); /* 42 three-byte characters, not split */
    e = dd_dip_library_get(l, 1);
    cr_assert_eq(e->ref_cost_fen, 800050);
    cr_assert_eq(e->comp_class, DD_DIP_CLASS_SURGERY);
    cr_assert_str_eq(grp(l, "K80.100", 0, 2, "51.2200", "51.5100"), "C1");
    cr_assert_str_eq(grp(l, "K80.100", 0, 1, "51.2200"), "Z1");
    dd_dip_library_destroy(l);
}

/* ------------------------------------------------------------ real files */

static char *slurp(const char *path, size_t *len)
{
    char e[512];
    char *buf = dd_file_read(path, len, e, sizeof e);
    cr_assert_not_null(buf, "%s", e);
    return buf;
}

static dd_dip_classes *load_classes(const char *path)
{
    size_t len;
    char *buf = slurp(path, &len);
    dd_dip_classes *c = dd_dip_classes_new(buf, len, err, sizeof err);
    free(buf);
    cr_assert_not_null(c, "%s: %s", path, err);
    return c;
}

static dd_dip_library *load_library(const char *path, const dd_dip_classes *c, char **text,
                                    size_t *len)
{
    *text = slurp(path, len);
    dd_dip_library *l = dd_dip_library_new(*text, *len, c, err, sizeof err);
    cr_assert_not_null(l, "%s: %s", path, err);
    return l;
}

Test(dip_files, golden_replay_library)
{
    dd_dip_classes *c = load_classes(DD_SHARED_DIR "/data/icd/procedure-category.txt");
    cr_assert_eq(dd_dip_classes_skipped(c), 42);
    cr_assert_eq(dd_dip_classes_count(c) + dd_dip_classes_skipped(c), 13653);
    char *text;
    size_t len;
    dd_dip_library *l =
        load_library(DD_SHARED_DIR "/golden/replay/data/dip/220400.csv", c, &text, &len);
    cr_assert_eq(dd_dip_library_count(l), 291);
    cr_assert_eq(dd_dip_library_count_kind(l, DD_DIP_CORE), 170);
    cr_assert_eq(dd_dip_library_count_kind(l, DD_DIP_BASIC), 28);
    cr_assert_eq(dd_dip_library_count_kind(l, DD_DIP_COMPREHENSIVE), 93);

    /* A01.1: C0002 conservative 5602.00, B0001 basic 4241.81 */
    cr_assert_str_eq(grp(l, "A01.100", 560200, 0), "C0002");
    cr_assert_str_eq(grp(l, "A01.100", 400000, 0), "B0001");
    cr_assert_str_eq(grp(l, "A01.100", 492190, 0), "B0001"); /* 680.09 vs 680.10 */
    cr_assert_str_eq(grp(l, "A01.100", 492191, 0), "C0002");
    /* C0005 = 76.3100x010+40.6900x003 beats C0003 (one term) */
    cr_assert_str_eq(grp(l, "A01.100", 2393014, 2, "40.6900x003", "76.3100x010"), "C0005");
    cr_assert_str_eq(grp(l, "A01.100", 100, 1, "76.3100x010"), "C0003");
    cr_assert_str_eq(grp(l, "A01.100", 100, 1, "22.2x01"), "C0004");
    /* C0018 (two terms, first a 3-way alternative) */
    cr_assert_str_eq(grp(l, "A93.100", 0, 2, "54.4x00x052", "32.0101"), "C0018");
    cr_assert_str_eq(grp(l, "A93.100", 0, 1, "32.0101"), "C0017");
    /* no A01.9 core group: comprehensive A01 by the case's class */
    cr_assert_str_eq(grp(l, "A01.900", 0, 0), "Z0001");
    cr_assert_str_eq(grp(l, "A01.900", 0, 1, "88.0100"), "Z0002");   /* 诊断性操作 */
    cr_assert_str_eq(grp(l, "A01.900", 0, 1, "00.5500"), "Z0003");   /* 介入治疗 */
    cr_assert_str_eq(grp(l, "A01.900", 0, 1, "76.3100x010"), "Z0004"); /* 手术 */
    cr_assert_str_eq(grp(l, "A01.900", 0, 1, "00.3100"), "Z0001");   /* unclassed */
    /* A02: nothing */
    cr_assert_str_eq(grp(l, "A02.000", 0, 0), "-");
    dd_dip_library_destroy(l);
    free(text);
    dd_dip_classes_destroy(c);
}

/* Number of '+'-separated terms of a procedures field. */
static int n_terms(const char *f, size_t n)
{
    if (!n)
        return 0;
    int k = 1;
    for (size_t i = 0; i < n; i++)
        k += f[i] == '+';
    return k;
}

/* Every CORE/BASIC group: a case with main_dx = group main_dx + "00", the
 * first alternative of each term and medfee = ref_cost groups into the same
 * 亚目, and into the group itself unless another candidate legitimately wins
 * (more terms, or the same ref_cost with a smaller code). */
static void check_self_grouping(const dd_dip_library *l, const char *text, size_t len)
{
    const char *p = strchr(text, '\n') + 1, *end = text + len;
    int checked = 0, itself = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        const char *f[7];
        size_t fl[7];
        int k = 0;
        const char *s = p;
        for (const char *q = p; q <= nl && k < 7; q++)
            if (q == nl || *q == ',') {
                f[k] = s;
                fl[k] = (size_t)(q - s);
                k++;
                s = q + 1;
            }
        cr_assert_eq(k, 7);
        p = nl + 1;
        if (fl[6] == 13 && !memcmp(f[6], "COMPREHENSIVE", 13))
            continue;
        char code[16], mdx[24], procbuf[256], *procs[8];
        int np = 0;
        snprintf(code, sizeof code, "%.*s", (int)fl[0], f[0]);
        snprintf(mdx, sizeof mdx, "%.*s00", (int)fl[2], f[2]);
        snprintf(procbuf, sizeof procbuf, "%.*s", (int)fl[3], f[3]);
        char *q = procbuf;
        while (*q && np < 8) {
            procs[np++] = q;
            q += strcspn(q, "/+");
            if (*q == '/') {
                *q++ = '\0';
                q += strcspn(q, "+"); /* skip the other alternatives */
            }
            if (*q == '+')
                *q++ = '\0';
        }
        const dd_dip_entry *g = dd_dip_library_find(l, code);
        cr_assert_not_null(g);
        dd_dip_result r;
        dd_dip_input in = {mdx, (const char *const *)procs, np, g->ref_cost_fen};
        dd_dip_group(l, &in, &r);
        cr_assert_not_null(r.group, "%s: %s", code, r.path);
        check_ex(l, &in, &r);
        cr_assert_str_eq(r.group->main_dx, g->main_dx, "%s -> %s", code, r.group->code);
        if (r.group == g)
            itself++;
        else if (r.group->ref_cost_fen == g->ref_cost_fen)
            cr_assert(strcmp(r.group->code, g->code) < 0, "%s -> %s", code, r.group->code);
        else
            cr_assert(n_terms(f[3], fl[3]) < 2, "%s -> %s", code, r.group->code);
        checked++;
    }
    cr_assert(checked > 0);
    /* the few exceptions are groups outranked by one with more terms */
    cr_assert(itself * 100 >= checked * 98, "%d of %d", itself, checked);
}

Test(dip_files, shipped_libraries, .timeout = 120)
{
    static const char *const regions[] = {"220400", "220500", "220600", "220700",
                                          "220800", "222400", "220581", "229901"};
    dd_dip_classes *c = load_classes(DD_SOURCE_DIR "/data/icd/procedure-category.txt");
    cr_assert_eq(dd_dip_classes_count(c) + dd_dip_classes_skipped(c), 13653);
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/jilin/dip/%s.csv", DD_SOURCE_DIR, regions[i]);
        char *text;
        size_t len;
        dd_dip_library *l = load_library(path, c, &text, &len);
        cr_assert_geq(dd_dip_library_count_kind(l, DD_DIP_CORE), 2000, "%s", path);
        cr_assert_geq(dd_dip_library_count_kind(l, DD_DIP_BASIC), 20, "%s", path);
        cr_assert_geq(dd_dip_library_count_kind(l, DD_DIP_COMPREHENSIVE), 400, "%s", path);
        /* every group is marked as a generated sample */
        for (int k = 0; k < dd_dip_library_count(l); k++) {
            const dd_dip_entry *e = dd_dip_library_get(l, k);
            cr_assert(strstr(e->name, "(示例)") != NULL, "%s %s", path, e->code);
        }
        check_self_grouping(l, text, len);
        dd_dip_library_destroy(l);
        free(text);
    }
    dd_dip_classes_destroy(c);
}
