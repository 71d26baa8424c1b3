/* dd_drg: every grouping rule on a small in-memory table (input checks,
 * MDCA, MDCP age/days/birth-weight bands and the PV1 catch-all, MDCZ body
 * regions, sex-checked MDCM/MDCN vs unchecked MDCO, severity with the
 * exclusion table, suffix choice among the DRGs that exist, the unrelated OR
 * procedure warning with fallthrough, unknown codes), table parse errors, and
 * the shipped table file (counts, names, a few real cases). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_drg.h"
#include "dd_file.h"

static const char TBL[] =
    "# test table\n"
    "[mdc]\n"
    "MDCA 先期分组疾病及相关操作\n"
    "MDCP 新生儿\n"
    "MDCZ 多发严重创伤\n"
    "MDCM 男性生殖\n"
    "MDCN 女性生殖\n"
    "MDCG 消化\n"
    "MDCO 妊娠\n"
    "[mdc_dx MDCP]\n"
    "P07.300\nP22.000\nQ89.400\n"
    "[mdc_dx MDCZ]\n"
    "S06.000\nS36.000\nS82.000\n"
    "[mdcz_region 1 头颈部创伤]\nS06.000\n"
    "[mdcz_region 3 腹部创伤]\nS36.000\n"
    "[mdcz_region 8 下肢创伤]\nS82.000\n"
    "[mdc_dx MDCM]\nN40.x00\n"
    "[mdc_dx MDCN]\nN80.000\n"
    "[mdc_dx MDCG]\nK35.800\nK22.301\nK99.999\n"
    "[mdc_dx MDCO]\nO80.000\n"
    "[adrg AA1 MDCA S 心脏移植]\nrule proc=1\nlist 1\n37.5100\n"
    "[adrg AC1 MDCA S 胰/肾联合移植]\nrule hasproc=1 hasproc=2\nlist 1\n52.8000\nlist 2\n55.6100\n"
    "[adrg PR1 MDCP M 新生儿呼吸窘迫综合征]\nrule dx=1 days=0-28\nlist 1\nP22.000\n"
    "[adrg PS1 MDCP M 极度发育不全]\nrule anydx=1 bw=0-1499 days=0-28\nlist 1\nP07.300\n"
    "[adrg PS4 MDCP M 早产儿]\nrule anydx=1 bw=2500-99999 days=0-28\nlist 1\nP07.300\n"
    "[adrg PV1 MDCP M 婴儿疾患]\nrule dx=1\nrule mdcdx\nlist 1\nP22.000\n"
    "[adrg ZD1 MDCZ S 多发性重要创伤的腹腔手术]\nrule proc=1\nlist 1\n54.1100\n"
    "[adrg ZZ1 MDCZ M 多发性重要创伤无手术]\nrule noproc\n"
    "[adrg MR1 MDCM M 男性生殖]\nrule dx=1\nlist 1\nN40.x00\n"
    "[adrg NZ1 MDCN M 女性生殖]\nrule dx=1\nlist 1\nN80.000\n"
    "[adrg GB1 MDCG S 阑尾切除]\nrule dx=1 proc=2\nlist 1\nK35.800\nlist 2\n47.0900\n"
    "[adrg GK1 MDCG O 内镜治疗]\nrule proc=1\nlist 1\n45.4300\n"
    "[adrg GR1 MDCG M 消化疾患]\nrule dx=1\nlist 1\nK35.800\nK22.301\n"
    "[adrg OR1 MDCO M 分娩]\nrule dx=1\nlist 1\nO80.000\n"
    "[drg]\n"
    "AA19 心脏移植\nAC19 胰/肾联合移植\n"
    "PR11 a\nPR13 b\nPR15 c\nPS11 a\nPS15 c\nPS41 a\nPS43 b\nPS45 c\n"
    "PV11 a\nPV13 b\nPV15 c\nZD19 a\nZZ11 a\nZZ15 c\n"
    "MR13 男性生殖，伴并发症或合并症\nMR15 男性生殖，不伴并发症或合并症\n"
    "NZ19 女性生殖\nGB11 a\nGB15 c\nGK19 a\nGR11 a\nGR13 b\nGR15 c\nOR19 分娩\n"
    "[mcc]\nI50.900 1\nJ96.000 2\n"
    "[cc]\nE87.100 1\nE11.900 2\n"
    "[cce]\nK35.800 1\nK22.301 3\n"
    "[or]\n37.5100\n52.8000\n55.6100\n54.1100\n47.0900\n"
    "[dx]\nK35.800 急性阑尾炎\nI50.900 心力衰竭\n"
    "[proc]\n47.0900 阑尾切除术\n";

static dd_drg_tables *T;

static void setup(void)
{
    char err[256] = "";
    T = dd_drg_tables_new(TBL, sizeof TBL - 1, err, sizeof err);
    cr_assert_not_null(T, "test table: %s", err);
}

static void teardown(void)
{
    dd_drg_tables_destroy(T);
}

#define MAXC 8
typedef struct {
    dd_drg_input in;
    const char *odx[MAXC];
    const char *pr[MAXC];
} kase;

/* other/procs: '|'-joined lists in a static buffer copy. */
static void mk(kase *k, int gend, int age, int days, int bw, const char *dx, const char *other,
               const char *procs)
{
    static char buf[2][256];
    memset(k, 0, sizeof *k);
    k->in.gend = gend;
    k->in.age = age;
    k->in.age_days = days;
    k->in.nwb_bir_wt = bw;
    k->in.main_dx = dx;
    k->in.other_dx = k->odx;
    k->in.procedures = k->pr;
    const char *src[2] = {other, procs};
    for (int j = 0; j < 2; j++) {
        if (!src[j] || !*src[j])
            continue;
        snprintf(buf[j], sizeof buf[j], "%s", src[j]);
        int n = 0;
        const char **dst = j ? k->pr : k->odx;
        for (char *s = strtok(buf[j], "|"); s && n < MAXC; s = strtok(NULL, "|"))
            dst[n++] = s;
        if (j)
            k->in.n_procedures = n;
        else
            k->in.n_other_dx = n;
    }
}

static dd_drg_result grp(int gend, int age, int days, int bw, const char *dx, const char *other,
                         const char *procs)
{
    kase k;
    mk(&k, gend, age, days, bw, dx, other, procs);
    dd_drg_result r;
    memset(&r, 0x5a, sizeof r); /* the grouper must fill every field */
    dd_drg_group(T, &k.in, &r);
    return r;
}

#define EXPECT(r, st, drg_, reason_)                                                    \
    do {                                                                               \
        cr_assert_str_eq(dd_group_status_name((r).status), st, "status (path %s)", (r).path); \
        cr_assert_str_eq((r).drg, drg_, "drg (path %s)", (r).path);                    \
        cr_assert_str_eq((r).reason, reason_);                                         \
    } while (0)

TestSuite(drg, .init = setup, .fini = teardown);

Test(drg, invalid_checks)
{
    dd_drg_result r = grp(0, 40, -1, -1, "K35.800", "", "");
    EXPECT(r, "INVALID", "0000", "INVALID_SEX");
    cr_assert_str_eq(r.adrg, "00");
    cr_assert_str_eq(r.mdc, "");
    EXPECT(grp(3, 40, -1, -1, "K35.800", "", ""), "INVALID", "0000", "INVALID_SEX");
    EXPECT(grp(9, 40, -1, -1, "K35.800", "", ""), "INVALID", "0000", "INVALID_SEX");
    EXPECT(grp(1, -1, -1, -1, "K35.800", "", ""), "INVALID", "0000", "INVALID_AGE");
    EXPECT(grp(1, 0, -1, 3000, "P22.000", "", ""), "INVALID", "0000", "INVALID_AGE_DAYS");
    EXPECT(grp(1, 0, 28, -1, "P22.000", "", ""), "INVALID", "0000", "INVALID_BIRTH_WEIGHT");
    /* Past 28 days no birth weight is needed; nothing else is checked. */
    EXPECT(grp(1, 0, 29, -1, "P22.000", "", ""), "SUCCESS", "PV15", "OK");
    EXPECT(grp(2, 30, -1, -1, "K35.800", "", ""), "SUCCESS", "GR15", "OK");
}

Test(drg, mdca_needs_or_main_procedure)
{
    dd_drg_result r = grp(1, 50, -1, -1, "K35.800", "", "37.5100|47.0900");
    EXPECT(r, "SUCCESS", "AA19", "OK");
    cr_assert_str_eq(r.mdc, "MDCA");
    cr_assert_str_eq(r.adrg, "AA1");
    cr_assert_eq(r.severity, 9);
    /* Both transplants, in either order. */
    EXPECT(grp(1, 50, -1, -1, "K35.800", "", "55.6100|52.8000"), "SUCCESS", "AC19", "OK");
    /* MDCA needs the whole compound rule: a lone kidney transplant here has
     * no MDCA ADRG, so the case goes on to its diagnosis' MDC. */
    r = grp(1, 50, -1, -1, "K35.800", "", "55.6100");
    EXPECT(r, "SUCCESS", "GR15", "OK");
    cr_assert(r.warnings & DD_DRG_WARN_UNRELATED_OR_PROCEDURE);
    /* Unknown principal dx still groups through MDCA. */
    EXPECT(grp(1, 50, -1, -1, "X00.000", "", "37.5100"), "SUCCESS", "AA19", "OK");
}

Test(drg, mdcp_days_weight_bands_and_pv1)
{
    EXPECT(grp(1, 0, 5, 2000, "P22.000", "", ""), "SUCCESS", "PR15", "OK");
    /* Principal in no list, prematurity as a secondary: weight band. */
    EXPECT(grp(1, 0, 5, 1200, "Q89.400", "P07.300", ""), "SUCCESS", "PS15", "OK");
    EXPECT(grp(1, 0, 5, 1499, "Q89.400", "P07.300", ""), "SUCCESS", "PS15", "OK");
    EXPECT(grp(1, 0, 5, 2500, "Q89.400", "P07.300", ""), "SUCCESS", "PS45", "OK");
    /* 1500..2499 has no band in this table: PV1 catches the MDCP dx. */
    EXPECT(grp(1, 0, 5, 2000, "Q89.400", "P07.300", ""), "SUCCESS", "PV15", "OK");
    /* Past 28 days only PV1. */
    EXPECT(grp(2, 0, 100, -1, "P22.000", "", ""), "SUCCESS", "PV15", "OK");
    EXPECT(grp(2, 0, 100, 1200, "Q89.400", "P07.300", ""), "SUCCESS", "PV15", "OK");
    /* Age >= 1 never reaches MDCP. */
    dd_drg_result r = grp(1, 1, -1, -1, "P22.000", "", "");
    EXPECT(r, "FAIL", "0000", "NO_MDC_FOR_MAIN_DX");
    cr_assert_str_eq(r.mdc, "");
}

Test(drg, mdcz_two_body_regions)
{
    dd_drg_result r = grp(1, 30, -1, -1, "S06.000", "S36.000", "");
    EXPECT(r, "SUCCESS", "ZZ15", "OK");
    cr_assert_str_eq(r.mdc, "MDCZ");
    EXPECT(grp(1, 30, -1, -1, "S36.000", "K35.800|S82.000", "54.1100"), "SUCCESS", "ZD19", "OK");
    /* One region only (twice) is not multiple trauma. */
    EXPECT(grp(1, 30, -1, -1, "S06.000", "S06.000", ""), "FAIL", "0000", "NO_MDC_FOR_MAIN_DX");
    /* The principal must be a trauma code itself. */
    EXPECT(grp(1, 30, -1, -1, "K22.301", "S06.000|S36.000", ""), "SUCCESS", "GR15", "OK");
    /* Non-OR procedures are not surgery: still ZZ1. */
    EXPECT(grp(1, 30, -1, -1, "S06.000", "S36.000", "45.4300"), "SUCCESS", "ZZ15", "OK");
    /* An OR procedure that fits no MDCZ ADRG: ZZ1 (no surgery) fails too. */
    EXPECT(grp(1, 30, -1, -1, "S06.000", "S36.000", "47.0900"), "FAIL", "0000",
           "NO_ADRG_MATCHED");
}

Test(drg, sex_checked_only_for_m_and_n)
{
    EXPECT(grp(1, 60, -1, -1, "N40.x00", "", ""), "SUCCESS", "MR15", "OK");
    dd_drg_result r = grp(2, 60, -1, -1, "N40.x00", "", "");
    EXPECT(r, "FAIL", "0000", "MDC_SEX_MISMATCH");
    cr_assert(r.warnings & DD_DRG_WARN_SEX_INCONSISTENT);
    EXPECT(grp(2, 40, -1, -1, "N80.000", "", ""), "SUCCESS", "NZ19", "OK");
    EXPECT(grp(1, 40, -1, -1, "N80.000", "", ""), "FAIL", "0000", "MDC_SEX_MISMATCH");
    /* Obstetric diagnosis for a male still groups in MDCO. */
    EXPECT(grp(1, 30, -1, -1, "O80.000", "", ""), "SUCCESS", "OR19", "OK");
}

Test(drg, severity_with_exclusion)
{
    /* I50.900 is an MCC of exclusion table 1, the principal K35.800's table:
     * excluded. */
    dd_drg_result r = grp(1, 50, -1, -1, "K35.800", "I50.900", "");
    EXPECT(r, "SUCCESS", "GR15", "OK");
    cr_assert_eq(r.severity, 5);
    EXPECT(grp(1, 50, -1, -1, "K35.800", "I50.900|E87.100", ""), "SUCCESS", "GR15", "OK");
    EXPECT(grp(1, 50, -1, -1, "K35.800", "I50.900|E11.900", ""), "SUCCESS", "GR13", "OK");
    EXPECT(grp(1, 50, -1, -1, "K35.800", "J96.000", ""), "SUCCESS", "GR11", "OK");
    /* Table 3 principal: table-1 codes count; MCC beats CC in any order. */
    r = grp(1, 50, -1, -1, "K22.301", "E87.100|I50.900", "");
    EXPECT(r, "SUCCESS", "GR11", "OK");
    cr_assert_eq(r.severity, 1);
    EXPECT(grp(1, 50, -1, -1, "K22.301", "E87.100", ""), "SUCCESS", "GR13", "OK");
}

Test(drg, suffix_among_existing_drgs)
{
    /* MR1 has only 3/5: an MCC gives 3. */
    EXPECT(grp(1, 60, -1, -1, "N40.x00", "J96.000", ""), "SUCCESS", "MR13", "OK");
    EXPECT(grp(1, 60, -1, -1, "N40.x00", "E11.900", ""), "SUCCESS", "MR13", "OK");
    /* GB1 has only 1/5: a CC gives 5, an MCC 1. */
    EXPECT(grp(1, 60, -1, -1, "K35.800", "E11.900", "47.0900"), "SUCCESS", "GB15", "OK");
    EXPECT(grp(1, 60, -1, -1, "K35.800", "J96.000", "47.0900"), "SUCCESS", "GB11", "OK");
    /* NZ1 is not split. */
    dd_drg_result r = grp(2, 40, -1, -1, "N80.000", "J96.000", "");
    EXPECT(r, "SUCCESS", "NZ19", "OK");
    cr_assert_eq(r.severity, 9);
}

Test(drg, unrelated_or_procedure_falls_through)
{
    /* 47.0900 is OR, but GB1 needs K35.800: medical GR1 with a warning. */
    dd_drg_result r = grp(1, 50, -1, -1, "K22.301", "", "47.0900");
    EXPECT(r, "SUCCESS", "GR15", "OK");
    cr_assert(r.warnings & DD_DRG_WARN_UNRELATED_OR_PROCEDURE);
    char w[128];
    dd_drg_warnings_format(r.warnings, w, sizeof w);
    cr_assert_str_eq(w, "UNRELATED_OR_PROCEDURE");
    /* The fitting procedure: surgical, no warning. */
    r = grp(1, 50, -1, -1, "K35.800", "", "47.0900");
    EXPECT(r, "SUCCESS", "GB15", "OK");
    cr_assert_eq(r.warnings, 0u);
    /* A non-OR procedure ADRG comes before medical ones, without warning. */
    r = grp(1, 50, -1, -1, "K22.301", "", "45.4300");
    EXPECT(r, "SUCCESS", "GK19", "OK");
    cr_assert_eq(r.warnings & DD_DRG_WARN_UNRELATED_OR_PROCEDURE, 0u);
    /* Main procedure decides: an OR code second does not make it surgical. */
    EXPECT(grp(1, 50, -1, -1, "K35.800", "", "45.4300|47.0900"), "SUCCESS", "GK19", "OK");
}

Test(drg, unknown_codes)
{
    dd_drg_result r = grp(1, 50, -1, -1, "k35.800", "", "");
    EXPECT(r, "FAIL", "0000", "UNKNOWN_MAIN_DX");
    EXPECT(grp(1, 50, -1, -1, "K35800", "", ""), "FAIL", "0000", "UNKNOWN_MAIN_DX");
    EXPECT(grp(1, 50, -1, -1, "", "", ""), "FAIL", "0000", "UNKNOWN_MAIN_DX");
    /* In an MDC list but in no ADRG of it. */
    EXPECT(grp(1, 50, -1, -1, "K99.999", "", ""), "FAIL", "0000", "NO_ADRG_MATCHED");
    /* Unknown secondaries and procedures are ignored, with warnings. */
    r = grp(1, 50, -1, -1, "K35.800", "ZZZ|J96.000", "99.9999|47.0900");
    EXPECT(r, "SUCCESS", "GR11", "OK");
    cr_assert_eq(r.warnings & (DD_DRG_WARN_UNKNOWN_SECONDARY | DD_DRG_WARN_UNKNOWN_PROCEDURE),
                 DD_DRG_WARN_UNKNOWN_SECONDARY | DD_DRG_WARN_UNKNOWN_PROCEDURE);
    char w[128];
    dd_drg_warnings_format(r.warnings, w, sizeof w);
    cr_assert_str_eq(w, "UNKNOWN_SECONDARY,UNKNOWN_PROCEDURE");
}

Test(drg, names_and_stats)
{
    cr_assert_str_eq(dd_drg_name(T, "MDCG"), "消化");
    cr_assert_str_eq(dd_drg_name(T, "GB1"), "阑尾切除");
    cr_assert_str_eq(dd_drg_name(T, "MR13"), "男性生殖，伴并发症或合并症");
    cr_assert_null(dd_drg_name(T, "XX19"));
    cr_assert_null(dd_drg_name(T, "MDCQ"));
    dd_drg_table_stats s;
    dd_drg_tables_stats(T, &s);
    cr_assert_eq(s.n_mdc, 7);
    cr_assert_eq(s.n_adrg, 14);
    cr_assert_eq(s.n_drg, 26);
    cr_assert_eq(s.n_mcc, 2);
    cr_assert_eq(s.n_cc, 2);
    cr_assert_eq(s.n_cce, 2);
    cr_assert_eq(s.n_or_proc, 5);
    cr_assert_eq(s.n_dx, 2);
    cr_assert_eq(s.n_proc, 1);
}

/* ------------------------------------------------------------ parse errors */

static void parse_fails(const char *text, const char *want)
{
    char err[256] = "";
    dd_drg_tables *t = dd_drg_tables_new(text, strlen(text), err, sizeof err);
    cr_assert_null(t, "accepted: %s", text);
    cr_assert(strstr(err, want), "errstr '%s' lacks '%s'", err, want);
}

Test(drg_parse, errors_name_the_line)
{
    parse_fails("", "missing");
    parse_fails("A00.000\n", "line 1: entry before any section");
    parse_fails("[mdc]\nMDCG x\n[nonsense]\n", "line 3: unknown section");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG M y]\nrule dx=2\nlist 1\nK00.000\n[drg]\nGR19 z\n",
                "line 7: ADRG GR1: rule names list 2");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG M y]\nrule dx=1 banana\n", "line 4: bad rule condition 'banana'");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG Q y]\n", "line 3: expected [adrg");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG M y]\nrule dx=1\nlist 1\nK00.000\n[drg]\nGX19 z\n",
                "line 8: DRG 'GX19' of no known ADRG");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG M y]\nrule dx=1\nlist 1\nK00.000\n[drg]\n",
                "ADRG GR1 has no DRG");
    parse_fails("[mdc]\nMDCG x\n[adrg GR1 MDCG M y]\nlist 1\nK00.000\n[drg]\nGR19 z\n",
                "line 6: ADRG GR1 has no rule");
    parse_fails("[mdc]\nMDCG x\n[mcc]\nI50.900 one\n", "line 4: expected 'CODE TABLE'");
    parse_fails("[mdc]\nMDCG x\n[mdc_dx MDCQ]\n", "line 3: mdc_dx names an unknown MDC");
    parse_fails("[mdc]\nMDCG x\n[drg\n", "line 3: unterminated");
}

/* ------------------------------------------------------------ shipped tables */

Test(drg_shipped, counts_names_and_real_cases)
{
    char err[256], path[1024];
    snprintf(path, sizeof path, "%s/data/chs-drg-1.1/chs-drg-1.1.tbl", DD_SOURCE_DIR);
    size_t len;
    char *buf = dd_file_read(path, &len, err, sizeof err);
    cr_assert_not_null(buf, "%s", err);
    dd_drg_tables *t = dd_drg_tables_new(buf, len, err, sizeof err);
    free(buf);
    cr_assert_not_null(t, "%s", err);
    dd_drg_table_stats s;
    dd_drg_tables_stats(t, &s);
    cr_assert_eq(s.n_mdc, 26);
    cr_assert_eq(s.n_adrg, 376);
    cr_assert_eq(s.n_drg, 628);
    cr_assert_eq(s.n_mcc, 4678);
    cr_assert_eq(s.n_cc, 16568);
    cr_assert_eq(s.n_cce, 28302);
    cr_assert_eq(s.n_or_proc, 10251);
    cr_assert_eq(s.n_dx, 33307);
    cr_assert_eq(s.n_proc, 13686);
    cr_assert_str_eq(dd_drg_name(t, "GZ1"), "其他消化系统诊断");
    cr_assert_str_eq(dd_drg_name(t, "AA19"), "心脏移植");

    const char *odx[4], *pr[4];
    dd_drg_input in = {.gend = 2, .age = 47, .age_days = -1, .nwb_bir_wt = -1,
                       .main_dx = "C67.500", .other_dx = odx, .procedures = pr};
    dd_drg_result r;
    pr[0] = "52.8300";
    pr[1] = "55.6100";
    in.n_procedures = 2;
    dd_drg_group(t, &in, &r); /* golden V000073 */
    cr_assert_str_eq(r.drg, "AC19");
    in = (dd_drg_input){.gend = 1, .age = 0, .age_days = 17, .nwb_bir_wt = 3437,
                        .main_dx = "P59.203", .other_dx = odx, .procedures = pr,
                        .n_other_dx = 1};
    odx[0] = "P07.300x021";
    dd_drg_group(t, &in, &r); /* golden V000015 */
    cr_assert_str_eq(r.drg, "PS43");
    in = (dd_drg_input){.gend = 1, .age = 88, .age_days = -1, .nwb_bir_wt = -1,
                        .main_dx = "K71.600", .other_dx = odx, .procedures = pr,
                        .n_other_dx = 3, .n_procedures = 1};
    odx[0] = "I82.900";
    odx[1] = "K71.002";
    odx[2] = "I74.504";
    pr[0] = "52.2201";
    dd_drg_group(t, &in, &r); /* golden V000013 */
    cr_assert_str_eq(r.drg, "HJ11");
    cr_assert_str_eq(r.mdc, "MDCH");
    dd_drg_tables_destroy(t);
}
