/*
 * drgdip explain — one case in, the whole scoring path out: how the grouper
 * chose the DRG / DIP group (or why it could not), warnings, weight,
 * reference cost, cost ratio, category and points. For coders and auditors
 * checking a single record; it uses exactly the engine of `replay`
 * (dd_case_contribution), so what it prints is what the totals count.
 *
 * The case is given by flags, or as a SETTLEMENT_LIST event (`--event JSON`,
 * `--event -` reads it from stdin). The cost (medfee_sumamt) and the payment
 * method come from flags, because a list event does not carry them. Without
 * --cost a grouped case is scored at its group's reference cost (NORMAL).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_case.h"
#include "dd_cmd.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_json.h"
#include "dd_num.h"
#include "dd_time.h"

static void explain_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip explain --region ADMDVS --hospital CODE --main-dx CODE [case options]\n"
            "       drgdip explain --event JSON|- [--cost YUAN] [--pay-method M] ...\n\n"
            "Groups and scores one inpatient case and prints how (SPEC §4, §5, §11).\n\n"
            "  --data DIR          data directory overriding the shipped default file by file\n"
            "  --region ADMDVS     pooling region where the case was treated\n"
            "  --hospital CODE     fixmedins_code (its level and coefficients apply)\n"
            "  --gend D            1 male, 2 female (other digits: the grouper says INVALID)\n"
            "  --age N             age in years (0: under one year)\n"
            "  --age-days N        age in days (when age is 0)\n"
            "  --birth-weight G    newborn birth weight in grams (nwb_bir_wt)\n"
            "  --ipt-days N        length of stay (bed-day payment); default 1\n"
            "  --dscg-way D        discharge way 1,2,3,4,5,9; default 1\n"
            "  --main-dx CODE      principal diagnosis (ICD-10 医保版 2.0)\n"
            "  --other-dx A,B      secondary diagnoses, comma-separated\n"
            "  --procedures X,Y    procedures (ICD-9-CM-3 医保版 2.0), the first is the main one\n"
            "  --event JSON|-      a SETTLEMENT_LIST event instead of the case flags\n"
            "  --cost YUAN         medfee_sumamt, e.g. 5800.00 (outliers, DIP tie break, FFS)\n"
            "  --pay-method M      BED_DAY or FFS (default: the region's scheme)\n"
            "  --bed-day-group G   bed-day group of the policy (with BED_DAY)\n"
            "  --special-points P  score as an APPROVED special case with P points\n"
            "  --json              one JSON object instead of text\n\n"
            "Exit: 0 explained (also when the case is ungroupable), 1 bad case or data,\n"
            "2 usage error.\n");
}

/* Split "A,B,C" into the event's code arrays. */
static int add_codes(dd_event *ev, const char *list, int procedures, dd_event_error *err)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            int rc = procedures ? dd_event_add_procedure(ev, p, n, err)
                                : dd_event_add_other_dx(ev, p, n, err);
            if (rc)
                return -1;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int parse_int_opt(const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "drgdip explain: %s must be an integer %d..%d\n", name, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static void fmt_rat(dd_rat r, int decimals, char *buf, size_t cap)
{
    int64_t v;
    if (!dd_rat_ok(r) || dd_rat_round(r, decimals, &v)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    dd_dec_format(buf, cap, v, decimals);
}

typedef struct {
    const char *data, *region, *hospital, *main_dx, *other_dx, *procedures, *event;
    const char *cost, *pay_method, *bed_day_group, *special_points;
    const char *gend, *age, *age_days, *birth_weight, *ipt_days, *dscg_way;
    int json;
} explain_opts;

static int parse_opts(int argc, char **argv, explain_opts *o)
{
    memset(o, 0, sizeof *o);
    static const struct {
        const char *flag;
        size_t off;
    } map[] = {
        {"--data", offsetof(explain_opts, data)},
        {"--region", offsetof(explain_opts, region)},
        {"--hospital", offsetof(explain_opts, hospital)},
        {"--main-dx", offsetof(explain_opts, main_dx)},
        {"--other-dx", offsetof(explain_opts, other_dx)},
        {"--procedures", offsetof(explain_opts, procedures)},
        {"--event", offsetof(explain_opts, event)},
        {"--cost", offsetof(explain_opts, cost)},
        {"--pay-method", offsetof(explain_opts, pay_method)},
        {"--bed-day-group", offsetof(explain_opts, bed_day_group)},
        {"--special-points", offsetof(explain_opts, special_points)},
        {"--gend", offsetof(explain_opts, gend)},
        {"--age", offsetof(explain_opts, age)},
        {"--age-days", offsetof(explain_opts, age_days)},
        {"--birth-weight", offsetof(explain_opts, birth_weight)},
        {"--ipt-days", offsetof(explain_opts, ipt_days)},
        {"--dscg-way", offsetof(explain_opts, dscg_way)},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof map / sizeof map[0]; k++)
            if (!strcmp(a, map[k].flag))
                break;
        if (k == sizeof map / sizeof map[0]) {
            fprintf(stderr, "drgdip explain: unknown option '%s'\n", a);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drgdip explain: %s needs a value\n", a);
            return -1;
        }
        *(const char **)(void *)((char *)o + map[k].off) = argv[++i];
    }
    if (!o->event && (!o->region || !o->hospital || !o->main_dx)) {
        fprintf(stderr, "drgdip explain: give --region, --hospital and --main-dx, or --event\n");
        return -1;
    }
    if (o->event && (o->region || o->hospital || o->main_dx || o->other_dx || o->procedures ||
                     o->gend || o->age || o->age_days || o->birth_weight || o->ipt_days ||
                     o->dscg_way)) {
        fprintf(stderr, "drgdip explain: --event cannot be combined with case flags\n");
        return -1;
    }
    return 0;
}

/* Build the SETTLEMENT_LIST event from flags. 0, -1 bad value (message
 * printed), -2 usage. */
static int list_from_flags(const explain_opts *o, dd_event *ev)
{
    dd_event_error err;
    dd_event_clear(ev);
    ev->type = DD_EV_SETTLEMENT_LIST;
    ev->has = DD_F_EVENT_ID | DD_F_EVENT_TIME | DD_F_ADMDVS | DD_F_FIXMEDINS | DD_F_SETL_ID |
              DD_F_GEND | DD_F_IPT_DAYS | DD_F_DSCG_WAY | DD_F_MAIN_DX;
    if (dd_event_set_string(ev->admdvs, sizeof ev->admdvs, "region", o->region,
                            strlen(o->region), &err) ||
        dd_event_set_string(ev->fixmedins_code, sizeof ev->fixmedins_code, "hospital",
                            o->hospital, strlen(o->hospital), &err) ||
        dd_event_set_string(ev->main_dx, sizeof ev->main_dx, "main-dx", o->main_dx,
                            strlen(o->main_dx), &err) ||
        (o->other_dx && add_codes(ev, o->other_dx, 0, &err)) ||
        (o->procedures && add_codes(ev, o->procedures, 1, &err))) {
        fprintf(stderr, "drgdip explain: %s: %s\n", dd_bad_reason_name(err.reason), err.detail);
        return -1;
    }
    if (o->other_dx)
        ev->has |= DD_F_OTHER_DX;
    if (o->procedures)
        ev->has |= DD_F_PROCEDURES;
    ev->gend = 0;
    ev->ipt_days = 1;
    ev->dscg_way = 1;
    if (o->gend && parse_int_opt("--gend", o->gend, 0, 9, &ev->gend))
        return -2;
    if (!o->gend)
        ev->has &= ~DD_F_GEND, ev->gend = 0;
    if (o->ipt_days && parse_int_opt("--ipt-days", o->ipt_days, 0, 36600, &ev->ipt_days))
        return -2;
    if (o->dscg_way && parse_int_opt("--dscg-way", o->dscg_way, 0, 99, &ev->dscg_way))
        return -2;
    if (o->age) {
        if (parse_int_opt("--age", o->age, 0, 150, &ev->age))
            return -2;
        ev->has |= DD_F_AGE;
    }
    if (o->age_days) {
        if (parse_int_opt("--age-days", o->age_days, 0, 366, &ev->age_days))
            return -2;
        ev->has |= DD_F_AGE_DAYS;
    }
    if (o->birth_weight) {
        if (parse_int_opt("--birth-weight", o->birth_weight, 0, 20000, &ev->nwb_bir_wt))
            return -2;
        ev->has |= DD_F_NWB_BIR_WT;
    }
    return 0;
}

typedef struct {
    const dd_dataset *ds;
    const dd_region *r;
    const dd_hospital *h;
    dd_contrib con;
    dd_drg_result drg;
    dd_dip_result dip;
    int scheme; /* -1: not grouped (no list) */
    int64_t medfee_fen;
    int cost_given;
    int at_reference; /* no cost: re-scored at the group's reference cost */
    char coef[32], ref[32], ratio[32];
} explain_result;

/* Score the list with a synthetic settlement (cost, pay method). */
static int score(explain_result *x, const dd_event *list, int64_t medfee_fen, dd_pay_method pm,
                 const char *bed_day_group, int special, int64_t special_points_e4)
{
    dd_case c;
    dd_case_init(&c, list->admdvs, list->fixmedins_code, list->setl_id);
    dd_event s;
    dd_event_clear(&s);
    s.type = DD_EV_SETTLEMENT;
    s.has = DD_F_EVENT_ID | DD_F_EVENT_TIME | DD_F_INSUTYPE | DD_F_SETL_TIME | DD_F_MEDFEE |
            DD_F_FUND | DD_F_PSN_PART;
    s.event_time_ms = list->event_time_ms;
    s.setl_time_ms = list->event_time_ms;
    s.insutype = 310;
    s.medfee_fen = medfee_fen;
    s.pay_method = pm;
    if (bed_day_group) {
        snprintf(s.bed_day_group, sizeof s.bed_day_group, "%s", bed_day_group);
        s.has |= DD_F_BED_DAY_GROUP;
    }
    int rc = dd_case_apply(&c, &s, 1) < 0 || dd_case_apply(&c, list, 2) < 0;
    if (!rc && special) {
        dd_event sp;
        dd_event_clear(&sp);
        sp.type = DD_EV_SPECIAL_CASE;
        sp.has = DD_F_STATUS | DD_F_POINTS;
        sp.status = DD_SPECIAL_APPROVED;
        sp.points_e4 = special_points_e4;
        rc = dd_case_apply(&c, &sp, 3) < 0;
    }
    if (!rc) {
        dd_case_contribution(x->ds, &c, NULL, &x->con);
        x->scheme = pm == DD_PAY_SCHEME ? dd_case_group_detail(x->ds, &c, &x->drg, &x->dip) : -1;
    }
    dd_case_free(&c);
    x->medfee_fen = medfee_fen;
    return rc ? -1 : 0;
}

static void fill_figures(explain_result *x)
{
    const dd_policy *pol = &x->r->policy;
    dd_rat coef = x->h->coef;
    if (x->con.grouped && x->r->scheme == DD_SCHEME_DIP && x->scheme == DD_SCHEME_DIP &&
        x->dip.group && x->dip.group->kind == DD_DIP_BASIC && pol->basic_same_pay)
        coef = dd_rat_int(1);
    fmt_rat(coef, 6, x->coef, sizeof x->coef);
    snprintf(x->ref, sizeof x->ref, "n/a");
    snprintf(x->ratio, sizeof x->ratio, "n/a");
    if (!x->con.grouped || x->con.pay_method != DD_PAY_SCHEME)
        return;
    dd_rat ref = x->r->scheme == DD_SCHEME_DRG
                     ? dd_points_drg_ref(pol, x->con.weight_e4, x->h->level)
                     : dd_rat_scaled(x->dip.group ? x->dip.group->ref_cost_fen : 0, 2);
    fmt_rat(ref, 2, x->ref, sizeof x->ref);
    if (dd_rat_ok(ref) && dd_rat_cmp(ref, dd_rat_int(0)) > 0)
        fmt_rat(dd_rat_div(dd_rat_scaled(x->medfee_fen, 2), ref), 6, x->ratio, sizeof x->ratio);
}

static const char *group_name(const explain_result *x)
{
    if (!x->con.group[0])
        return "";
    if (x->scheme == DD_SCHEME_DRG) {
        const char *n = dd_drg_name(dd_dataset_drg_tables(x->ds), x->con.group);
        return n ? n : "";
    }
    if (x->scheme == DD_SCHEME_DIP && x->dip.group)
        return x->dip.group->name;
    return "";
}

static void print_text(const explain_result *x, const dd_event *list)
{
    char b[32], warn[256] = "";
    const dd_contrib *c = &x->con;
    printf("region      %s %s (%s)\n", x->r->admdvs, x->r->name ? x->r->name : "",
           x->r->scheme == DD_SCHEME_DRG ? "DRG" : "DIP");
    printf("hospital    %s %s, level %d, coefficient %s\n", x->h->code,
           x->h->name ? x->h->name : "", x->h->level, x->coef);
    char g[4][16];
    const int v[4] = {list->age, list->age_days, list->nwb_bir_wt, list->ipt_days};
    for (int i = 0; i < 4; i++)
        if (v[i] < 0)
            snprintf(g[i], sizeof g[i], "-");
        else
            snprintf(g[i], sizeof g[i], "%d", v[i]);
    printf("case        gend %d, age %s, age_days %s, birth weight %s, ipt_days %s, "
           "dscg_way %d\n",
           list->gend, g[0], g[1], g[2], g[3], list->dscg_way);
    printf("            main_dx %s; other_dx", list->main_dx);
    for (int i = 0; i < list->n_other_dx; i++)
        printf("%s%s", i ? "," : " ", list->other_dx[i]);
    printf("%s; procedures", list->n_other_dx ? "" : " -");
    for (int i = 0; i < list->n_procedures; i++)
        printf("%s%s", i ? "," : " ", list->procedures[i]);
    printf("%s\n", list->n_procedures ? "" : " -");
    dd_dec_format(b, sizeof b, x->medfee_fen, 2);
    printf("cost        %s%s\n", b,
           x->cost_given     ? ""
           : x->at_reference ? " (not given: the group's reference cost)"
                             : " (not given)");
    printf("pay method  %s\n", dd_pay_method_name(c->pay_method));
    if (x->scheme == DD_SCHEME_DRG) {
        printf("path        %s\n", x->drg.path);
        printf("status      %s (%s)\n", dd_group_status_name(x->drg.status), c->reason);
        printf("MDC / ADRG  %s / %s\n", x->drg.mdc[0] ? x->drg.mdc : "-", x->drg.adrg);
        dd_drg_warnings_format(c->warnings, warn, sizeof warn);
    } else if (x->scheme == DD_SCHEME_DIP) {
        printf("path        %s\n", x->dip.path);
        printf("status      %s (%s)\n", x->dip.group ? "SUCCESS" : "FAIL", c->reason);
        printf("class       %s\n", dd_dip_class_name(x->dip.case_class));
    } else {
        printf("path        not grouped: paid by %s\n", dd_pay_method_name(c->pay_method));
    }
    printf("warnings    %s\n", warn[0] ? warn : "none");
    printf("group       %s %s\n", c->group[0] ? c->group : "-", group_name(x));
    if (c->grouped) {
        dd_dec_format(b, sizeof b, c->weight_e4, 4);
        printf("weight      %s%s\n", b,
               x->scheme == DD_SCHEME_DRG && c->severity
                   ? (c->severity == 1   ? " (MCC)"
                      : c->severity == 3 ? " (CC)"
                      : c->severity == 5 ? " (no CC/MCC)"
                                         : " (not split)")
                   : "");
        printf("reference   %s, ratio k = %s\n", x->ref, x->ratio);
    }
    dd_dec_format(b, sizeof b, c->points_e4, 4);
    printf("category    %s\n", dd_category_name(c->category));
    printf("points      %s%s\n", b, c->points_error ? " (formula not computable: check policy)" : "");
}

static void print_json(const explain_result *x, const dd_event *list)
{
    char warn[256] = "";
    const dd_contrib *c = &x->con;
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_object_begin(&w);
    dd_jw_key(&w, "admdvs");
    dd_jw_string(&w, x->r->admdvs);
    dd_jw_key(&w, "scheme");
    dd_jw_string(&w, x->r->scheme == DD_SCHEME_DRG ? "DRG" : "DIP");
    dd_jw_key(&w, "fixmedins_code");
    dd_jw_string(&w, x->h->code);
    dd_jw_key(&w, "level");
    dd_jw_int(&w, x->h->level);
    dd_jw_key(&w, "coefficient");
    dd_jw_string(&w, x->coef);
    dd_jw_key(&w, "main_dx");
    dd_jw_string(&w, list->main_dx);
    dd_jw_key(&w, "cost");
    dd_jw_decimal_string(&w, x->medfee_fen, 2);
    dd_jw_key(&w, "cost_given");
    dd_jw_bool(&w, x->cost_given);
    dd_jw_key(&w, "pay_method");
    dd_jw_string(&w, dd_pay_method_name(c->pay_method));
    dd_jw_key(&w, "status");
    if (x->scheme == DD_SCHEME_DRG)
        dd_jw_string(&w, dd_group_status_name(x->drg.status));
    else if (x->scheme == DD_SCHEME_DIP)
        dd_jw_string(&w, x->dip.group ? "SUCCESS" : "FAIL");
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "reason");
    dd_jw_string(&w, c->reason ? c->reason : "");
    dd_jw_key(&w, "path");
    dd_jw_string(&w, x->scheme == DD_SCHEME_DRG   ? x->drg.path
                     : x->scheme == DD_SCHEME_DIP ? x->dip.path
                                                  : "");
    if (x->scheme == DD_SCHEME_DRG) {
        dd_jw_key(&w, "mdc");
        dd_jw_string(&w, x->drg.mdc);
        dd_jw_key(&w, "adrg");
        dd_jw_string(&w, x->drg.adrg);
        dd_jw_key(&w, "severity");
        dd_jw_int(&w, c->severity);
        dd_drg_warnings_format(c->warnings, warn, sizeof warn);
    }
    dd_jw_key(&w, "warnings");
    dd_jw_array_begin(&w);
    for (char *p = warn; *p;) {
        char *e = strchr(p, ',');
        dd_jw_string_n(&w, p, e ? (size_t)(e - p) : strlen(p));
        if (!e)
            break;
        p = e + 1;
    }
    dd_jw_array_end(&w);
    dd_jw_key(&w, "group");
    dd_jw_string(&w, c->group);
    dd_jw_key(&w, "group_name");
    dd_jw_string(&w, group_name(x));
    dd_jw_key(&w, "weight");
    if (c->grouped)
        dd_jw_decimal_string(&w, c->weight_e4, 4);
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "reference_cost");
    dd_jw_string(&w, x->ref);
    dd_jw_key(&w, "ratio");
    dd_jw_string(&w, x->ratio);
    dd_jw_key(&w, "category");
    dd_jw_string(&w, dd_category_name(c->category));
    dd_jw_key(&w, "points");
    dd_jw_decimal_string(&w, c->points_e4, 4);
    dd_jw_key(&w, "points_error");
    dd_jw_bool(&w, c->points_error);
    dd_jw_object_end(&w);
    dd_jw_append(&w, "\n", 1);
    if (!w.oom)
        fwrite(w.buf, 1, w.len, stdout);
    dd_jw_free(&w);
}

int dd_cmd_explain(int argc, char **argv)
{
    explain_opts o;
    int pr = parse_opts(argc, argv, &o);
    if (pr) {
        explain_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? 0 : 2;
    }
    int64_t cost_fen = 0, special_e4 = 0;
    if (o.cost && dd_event_parse_amount(o.cost, strlen(o.cost), &cost_fen)) {
        fprintf(stderr, "drgdip explain: --cost must be yuan with at most 2 decimals\n");
        return 2;
    }
    if (o.special_points &&
        dd_dec_parse(o.special_points, strlen(o.special_points), 4, 4, &special_e4)) {
        fprintf(stderr, "drgdip explain: --special-points must be >= 0 with at most 4 decimals\n");
        return 2;
    }
    dd_pay_method pm = DD_PAY_SCHEME;
    if (o.pay_method) {
        if (!strcmp(o.pay_method, "BED_DAY"))
            pm = DD_PAY_BED_DAY;
        else if (!strcmp(o.pay_method, "FFS"))
            pm = DD_PAY_FFS;
        else {
            fprintf(stderr, "drgdip explain: --pay-method must be BED_DAY or FFS\n");
            return 2;
        }
    }

    dd_event *list = malloc(sizeof *list);
    if (!list) {
        fprintf(stderr, "drgdip explain: out of memory\n");
        return 1;
    }
    char *text = NULL;
    int rc = 0;
    if (o.event) {
        size_t len = 0;
        char err[512];
        if (!strcmp(o.event, "-")) {
            text = dd_file_read("-", &len, err, sizeof err);
            if (!text) {
                fprintf(stderr, "drgdip explain: %s\n", err);
                free(list);
                return 1;
            }
        } else {
            len = strlen(o.event);
            text = malloc(len + 1);
            if (text)
                memcpy(text, o.event, len + 1);
        }
        dd_json_doc *doc = dd_json_doc_new();
        dd_event_error ee;
        if (!text || !doc) {
            fprintf(stderr, "drgdip explain: out of memory\n");
            rc = 1;
        } else if (dd_event_from_json(list, doc, text, len, &ee)) {
            fprintf(stderr, "drgdip explain: %s: %s\n", dd_bad_reason_name(ee.reason), ee.detail);
            rc = 1;
        } else if (list->type != DD_EV_SETTLEMENT_LIST) {
            fprintf(stderr, "drgdip explain: --event must be a SETTLEMENT_LIST event, not %s\n",
                    dd_event_type_name(list->type));
            rc = 1;
        }
        dd_json_doc_destroy(doc);
        /* identity fields explain does not need */
        if (!rc && !(list->has & DD_F_EVENT_ID))
            snprintf(list->event_id, sizeof list->event_id, "EXPLAIN"), list->has |= DD_F_EVENT_ID;
        if (!rc && !(list->has & DD_F_SETL_ID))
            snprintf(list->setl_id, sizeof list->setl_id, "EXPLAIN"), list->has |= DD_F_SETL_ID;
        if (!rc && !(list->has & DD_F_EVENT_TIME))
            list->has |= DD_F_EVENT_TIME;
    } else {
        int fr = list_from_flags(&o, list);
        if (fr)
            rc = fr == -2 ? 2 : 1;
        snprintf(list->event_id, sizeof list->event_id, "EXPLAIN");
        snprintf(list->setl_id, sizeof list->setl_id, "EXPLAIN");
    }
    if (rc) {
        free(text);
        free(list);
        return rc;
    }
    if (!(list->has & DD_F_GEND))
        list->gend = 0; /* missing sex: the grouper says INVALID */

    char err[1024];
    dd_datadir *dir = dd_datadir_open(o.data, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "drgdip explain: %s\n", err);
        free(text);
        free(list);
        return 1;
    }
    explain_result x;
    memset(&x, 0, sizeof x);
    x.ds = dd_datadir_dataset(dir);
    dd_event_error ee;
    /* the list must be a valid event; a missing sex is not bad here: gend 0
     * makes the grouper answer INVALID, which is what explain should show */
    list->has |= DD_F_GEND;
    if (dd_event_validate(list, x.ds, &ee)) {
        fprintf(stderr, "drgdip explain: %s: %s\n", dd_bad_reason_name(ee.reason), ee.detail);
        rc = 1;
        goto out;
    }
    x.r = dd_dataset_region(x.ds, list->admdvs);
    x.h = dd_dataset_hospital(x.ds, list->fixmedins_code);
    if (pm == DD_PAY_BED_DAY && (!o.bed_day_group || !dd_policy_bedday(&x.r->policy, o.bed_day_group))) {
        fprintf(stderr, "drgdip explain: BED_DAY needs --bed-day-group defined by the policy of %s\n",
                x.r->admdvs);
        rc = 1;
        goto out;
    }
    x.cost_given = o.cost != NULL;
    if (score(&x, list, cost_fen, pm, o.bed_day_group, o.special_points != NULL, special_e4)) {
        fprintf(stderr, "drgdip explain: out of memory\n");
        rc = 1;
        goto out;
    }
    if (!x.cost_given && x.con.grouped && pm == DD_PAY_SCHEME) {
        /* no cost: score at the group's reference cost, which is NORMAL */
        int64_t ref_fen = 0;
        if (x.r->scheme == DD_SCHEME_DRG) {
            dd_rat ref = dd_points_drg_ref(&x.r->policy, x.con.weight_e4, x.h->level);
            if (dd_rat_round(ref, 2, &ref_fen))
                ref_fen = 0;
        } else if (x.dip.group) {
            ref_fen = x.dip.group->ref_cost_fen;
        }
        if (score(&x, list, ref_fen, pm, o.bed_day_group, o.special_points != NULL, special_e4)) {
            fprintf(stderr, "drgdip explain: out of memory\n");
            rc = 1;
            goto out;
        }
        x.at_reference = 1;
    }
    fill_figures(&x);
    if (o.json)
        print_json(&x, list);
    else
        print_text(&x, list);
    if (fflush(stdout))
        rc = 1;
out:
    dd_datadir_close(dir);
    free(text);
    free(list);
    return rc;
}
