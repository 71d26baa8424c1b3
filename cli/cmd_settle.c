/*
 * drgdip settle — quarterly netting or yearly settlement with risk sharing
 * (SPEC §7) of one (region, insurance type), per hospital, from a JSONL
 * event file replayed on the same in-memory ledger as `drgdip replay`, or
 * (--redis) from the live totals kept by `drgdip run`.
 *
 * The month figures are the REPLAY snapshots of the months of the period
 * (dd_snapshot_from_ledger) or the LIVE ones (dd_live_snapshot); from the
 * month snapshots on, both sources share one path: the period math is
 * dd_settle_net (core), then the same JSON / table. A hospital is listed
 * when it appears in at least one month's snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_json.h"
#include "dd_jsonl.h"
#include "dd_ledger.h"
#include "dd_live.h"
#include "dd_num.h"
#include "dd_settle.h"
#include "dd_snapshot.h"
#include "dd_time.h"

extern char **environ;

static void settle_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip settle --region ADMDVS --insutype 310|390\n"
            "                     (--quarter YYYYQn | --year YYYY)\n"
            "                     (--events FILE.jsonl | --redis URL [--config FILE])\n"
            "                     [--data DIR] [--json] [--quiet]\n\n"
            "Replays the events of FILE (one JSON event per line, SPEC §2; '-' reads stdin)\n"
            "in file order on the same in-memory ledger as `drgdip replay`, then settles\n"
            "the period for every hospital of the region with settled, non-reversed cases\n"
            "(eligible or pending) in one of its months (SPEC §7). Months are those of\n"
            "setl_time in Asia/Shanghai; the month figures are the `drgdip replay`\n"
            "snapshots of the months of the period. With --redis instead, the month\n"
            "figures are the live snapshots (`drgdip snapshot`) read from the Redis\n"
            "totals kept by `drgdip run`; the settlement of them is the same.\n\n"
            "  --region ADMDVS  pooling region (6 digits)\n"
            "  --insutype T     310 (employees) or 390 (residents)\n"
            "  --quarter YYYYQn quarterly netting (art. 23), n = 1..4, e.g. 2025Q1\n"
            "  --year YYYY      yearly settlement (art. 18, 27): the same netting over the\n"
            "                   12 months, then risk sharing on actual cost\n"
            "  --events FILE    JSONL events; empty lines are skipped\n"
            "  --redis URL      redis://host:port or unix:///path: read the months from\n"
            "                   the live Redis totals instead (exactly one of --events\n"
            "                   and --redis)\n"
            "  --config FILE    (--redis) the `drgdip run` configuration: redis.password,\n"
            "                   and data.dir when --data is not given; DRGDIP_*\n"
            "                   environment variables apply too\n"
            "  --data DIR       data directory overriding the shipped default file by file\n"
            "                   (regions.csv, hospitals.csv, policy/, drg/, dip/)\n"
            "  --json           one JSON object on stdout instead of the aligned table:\n"
            "                   admdvs, insutype, period, from, to, budget, points,\n"
            "                   point_value, retention_rate, (--year) sharing_rate,\n"
            "                   sharing_band, hospitals[] (sorted by fixmedins_code, the\n"
            "                   figures below) and totals (their sums); every figure is\n"
            "                   a decimal string\n"
            "  --quiet          no per-line messages for bad events (summary only)\n\n"
            "Figures (money in yuan with 2 decimals, points with 4), region:\n"
            "  budget B = sum of the month budgets of the period (SPEC §11: latest monthly\n"
            "  BUDGET, else yearly / 12, else 0); points P = sum of the months' eligible\n"
            "  points; point_value = B / P (6 decimals).\n"
            "Per hospital (sums over the months of eligible cases):\n"
            "  points P_h, medfee M, fund_amount F, psn_part\n"
            "  settlement       S = round(B x P_h / P)\n"
            "  shared_settlement (--year) risk sharing of M against S with policy\n"
            "                   sharing.rate r and sharing.band b: overrun |M-S| <= b x S\n"
            "                   -> S + r x (M-S), beyond -> S; saving within the band ->\n"
            "                   M + r x (S-M), beyond -> M; sharing_case says which:\n"
            "                   EQUAL, OVERRUN_SHARED, OVERRUN_BEYOND, SAVING_SHARED,\n"
            "                   SAVING_BEYOND (NONE when B or P is 0)\n"
            "  fund_settlement  (shared) settlement - psn_part\n"
            "  retention        round(fund_settlement x retention_rate), 0 when\n"
            "                   fund_settlement <= 0 (withheld on what the period settles)\n"
            "  monthly_payables sum of the monthly payables F_m - round(F_m x rate)\n"
            "                   already paid\n"
            "  payable          fund_settlement - retention - monthly_payables;\n"
            "                   negative: claw-back\n"
            "  profit_loss      (shared) settlement - M\n"
            "With no budget or P = 0 over the period, settlements and fund settlements\n"
            "are 0 (SPEC §11), so payable = -monthly_payables. Rounding is half away\n"
            "from zero.\n\n"
            "Bad events (SPEC §2/§11) change nothing: one stderr line each, 'line N:\n"
            "REASON: detail'; duplicates are dropped; a summary goes to stderr.\n"
            "Exit: 0 settled, 1 data, input file or Redis error, 2 usage error.\n");
}

typedef struct {
    int year, first_month, n_months; /* months first_month.. of year */
    char label[8];                   /* "2025Q1" or "2025" */
    int is_year;
} period;

static int parse_year(const char *s, int *year)
{
    if (strlen(s) < 4 || strspn(s, "0123456789") < 4)
        return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (y < 1900 || y > 2999) /* dd_time's range */
        return -1;
    *year = y;
    return 0;
}

static int parse_period(const char *quarter, const char *year, period *p)
{
    memset(p, 0, sizeof *p);
    if (quarter) {
        if (strlen(quarter) != 6 || parse_year(quarter, &p->year) || quarter[4] != 'Q' ||
            quarter[5] < '1' || quarter[5] > '4')
            return -1;
        p->first_month = (quarter[5] - '1') * 3 + 1;
        p->n_months = 3;
        snprintf(p->label, sizeof p->label, "%dQ%c", p->year, quarter[5]);
        return 0;
    }
    if (strlen(year) != 4 || parse_year(year, &p->year))
        return -1;
    p->first_month = 1;
    p->n_months = 12;
    p->is_year = 1;
    snprintf(p->label, sizeof p->label, "%d", p->year);
    return 0;
}

/* Replays the JSONL text; 0, or 1 on out of memory. */
static int replay_text(dd_ledger *l, const char *text, size_t len, int quiet)
{
    if (dd_jsonl_apply(l, text, len, quiet))
        return 1;
    const dd_ledger_stats *st = dd_ledger_get_stats(l);
    fprintf(stderr, "settle: read %llu, applied %llu, duplicates %llu, bad %llu (cases %d)\n",
            (unsigned long long)st->read, (unsigned long long)st->applied,
            (unsigned long long)st->duplicates, (unsigned long long)st->bad,
            dd_ledger_case_count(l));
    return 0;
}

typedef struct {
    char code[DD_CODE_MAX + 1];
    dd_settle_netting n;
} hosp_row;

typedef struct {
    int64_t budget_fen, points_e4, point_value_e6;
    int64_t retention_rate_e6;
    dd_settle_sharing sharing;
    int n_rows;
    hosp_row *rows;
    hosp_row total; /* sums of the rows' figures (code "TOTAL") */
} settle_result;

static int cmp_code(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const dd_snapshot_hospital *find_hosp(const dd_snapshot *s, const char *code)
{
    int lo = 0, hi = s->n_hospitals - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(s->hospitals[mid].fixmedins_code, code);
        if (!c)
            return &s->hospitals[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void add_total(dd_settle_netting *t, const dd_settle_netting *n)
{
    t->points_e4 += n->points_e4;
    t->medfee_fen += n->medfee_fen;
    t->fund_fen += n->fund_fen;
    t->psn_part_fen += n->psn_part_fen;
    t->retention_fen += n->retention_fen;
    t->monthly_payables_fen += n->monthly_payables_fen;
    t->settlement_fen += n->settlement_fen;
    t->final_settlement_fen += n->final_settlement_fen;
    t->fund_settlement_fen += n->fund_settlement_fen;
    t->payable_fen += n->payable_fen;
    t->profit_loss_fen += n->profit_loss_fen;
}

/* The period's month snapshots from the replayed ledger (l) or from Redis
 * (st): snaps[0 .. p->n_months). 0, or -1 with errstr, nothing to free. */
static int month_snapshots(const dd_ledger *l, dd_store *st, const dd_dataset *ds,
                           const char *admdvs, int insutype, const period *p,
                           dd_snapshot *snaps, char *errstr, size_t errlen)
{
    for (int i = 0; i < p->n_months; i++) {
        int32_t m = dd_time_month_make(p->year, p->first_month + i);
        int bad = l ? dd_snapshot_from_ledger(&snaps[i], l, ds, admdvs, insutype, m,
                                              DD_SNAP_REPLAY)
                    : dd_live_snapshot(st, ds, admdvs, insutype, m, &snaps[i], errstr, errlen);
        if (bad) {
            if (l)
                snprintf(errstr, errlen, "out of memory");
            while (i-- > 0)
                dd_snapshot_free(&snaps[i]);
            return -1;
        }
    }
    return 0;
}

/* Month snapshots -> per-hospital netting. 0, or -1 on out of memory. */
static int settle_compute(const dd_snapshot *snaps, int n_snaps, const dd_region *r,
                          const period *p, settle_result *res)
{
    memset(res, 0, sizeof *res);
    res->retention_rate_e6 = r->policy.retention_rate_e6;
    res->sharing.rate_e6 = r->policy.sharing_rate_e6;
    res->sharing.band_e6 = r->policy.sharing_band_e6;
    int rc = -1, n_codes = 0, total_hosp = 0;
    const char **codes = NULL;
    dd_settle_month_in months[12];
    for (int i = 0; i < n_snaps; i++) {
        total_hosp += snaps[i].n_hospitals;
        res->budget_fen += snaps[i].budget_fen;
        res->points_e4 += snaps[i].points_e4;
    }
    res->point_value_e6 = dd_settle_point_value_e6(res->budget_fen, res->points_e4);
    codes = malloc((size_t)(total_hosp ? total_hosp : 1) * sizeof *codes);
    if (!codes)
        goto out;
    for (int i = 0; i < n_snaps; i++)
        for (int k = 0; k < snaps[i].n_hospitals; k++)
            codes[n_codes++] = snaps[i].hospitals[k].fixmedins_code;
    qsort(codes, (size_t)n_codes, sizeof *codes, cmp_code);
    res->rows = calloc((size_t)(n_codes ? n_codes : 1), sizeof *res->rows);
    if (!res->rows)
        goto out;
    snprintf(res->total.code, sizeof res->total.code, "TOTAL");
    for (int k = 0; k < n_codes; k++) {
        if (k > 0 && !strcmp(codes[k], codes[k - 1]))
            continue;
        hosp_row *row = &res->rows[res->n_rows++];
        snprintf(row->code, sizeof row->code, "%s", codes[k]);
        for (int i = 0; i < n_snaps; i++) {
            const dd_snapshot_hospital *h = find_hosp(&snaps[i], codes[k]);
            months[i] = (dd_settle_month_in){
                .budget_fen = snaps[i].budget_fen,
                .region_points_e4 = snaps[i].points_e4,
                .points_e4 = h ? h->points_e4 : 0,
                .medfee_fen = h ? h->medfee_fen : 0,
                .fund_fen = h ? h->fund_fen : 0,
                .psn_part_fen = h ? h->psn_part_fen : 0,
                .retention_rate_e6 = res->retention_rate_e6,
            };
        }
        dd_settle_net(months, n_snaps, p->is_year ? &res->sharing : NULL, &row->n);
        add_total(&res->total.n, &row->n);
    }
    rc = 0;
out:
    free(codes);
    return rc;
}

static void kdec(dd_jw *w, const char *k, int64_t v, int scale)
{
    dd_jw_key(w, k);
    dd_jw_decimal_string(w, v, scale);
}

static void json_figures(dd_jw *w, const dd_settle_netting *n, int is_year, int with_case)
{
    kdec(w, "points", n->points_e4, 4);
    kdec(w, "medfee", n->medfee_fen, 2);
    kdec(w, "fund_amount", n->fund_fen, 2);
    kdec(w, "psn_part", n->psn_part_fen, 2);
    kdec(w, "settlement", n->settlement_fen, 2);
    if (is_year) {
        if (with_case) {
            dd_jw_key(w, "sharing_case");
            dd_jw_string(w, dd_settle_share_case_name(n->share_case));
        }
        kdec(w, "shared_settlement", n->final_settlement_fen, 2);
    }
    kdec(w, "fund_settlement", n->fund_settlement_fen, 2);
    kdec(w, "retention", n->retention_fen, 2);
    kdec(w, "monthly_payables", n->monthly_payables_fen, 2);
    kdec(w, "payable", n->payable_fen, 2);
    kdec(w, "profit_loss", n->profit_loss_fen, 2);
}

static void settle_json(dd_jw *w, const char *admdvs, int insutype, const period *p,
                        const settle_result *res)
{
    char b[16];
    dd_jw_object_begin(w);
    dd_jw_key(w, "admdvs");
    dd_jw_string(w, admdvs);
    snprintf(b, sizeof b, "%d", insutype);
    dd_jw_key(w, "insutype");
    dd_jw_string(w, b);
    dd_jw_key(w, "period");
    dd_jw_string(w, p->label);
    dd_time_format_month(dd_time_month_make(p->year, p->first_month), b, sizeof b);
    dd_jw_key(w, "from");
    dd_jw_string(w, b);
    dd_time_format_month(dd_time_month_make(p->year, p->first_month + p->n_months - 1), b,
                         sizeof b);
    dd_jw_key(w, "to");
    dd_jw_string(w, b);
    kdec(w, "budget", res->budget_fen, 2);
    kdec(w, "points", res->points_e4, 4);
    kdec(w, "point_value", res->point_value_e6, 6);
    kdec(w, "retention_rate", res->retention_rate_e6, 6);
    if (p->is_year) {
        kdec(w, "sharing_rate", res->sharing.rate_e6, 6);
        kdec(w, "sharing_band", res->sharing.band_e6, 6);
    }
    dd_jw_key(w, "hospitals");
    dd_jw_array_begin(w);
    for (int i = 0; i < res->n_rows; i++) {
        dd_jw_object_begin(w);
        dd_jw_key(w, "fixmedins_code");
        dd_jw_string(w, res->rows[i].code);
        json_figures(w, &res->rows[i].n, p->is_year, 1);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_key(w, "totals");
    dd_jw_object_begin(w);
    json_figures(w, &res->total.n, p->is_year, 0);
    dd_jw_object_end(w);
    dd_jw_object_end(w);
}

/* ------------------------------------------------------------ the table */

#define NCOL 13
#define CELL 40

typedef struct {
    char c[NCOL][CELL];
} table_line;

static void fill_line(table_line *t, const hosp_row *row, int is_year)
{
    const dd_settle_netting *n = &row->n;
    int k = 0;
    snprintf(t->c[k++], CELL, "%s", row->code);
    dd_dec_format(t->c[k++], CELL, n->points_e4, 4);
    dd_dec_format(t->c[k++], CELL, n->medfee_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->fund_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->psn_part_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->settlement_fen, 2);
    if (is_year) {
        snprintf(t->c[k++], CELL, "%s",
                 strcmp(row->code, "TOTAL") ? dd_settle_share_case_name(n->share_case) : "");
        dd_dec_format(t->c[k++], CELL, n->final_settlement_fen, 2);
    }
    dd_dec_format(t->c[k++], CELL, n->fund_settlement_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->retention_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->monthly_payables_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->payable_fen, 2);
    dd_dec_format(t->c[k++], CELL, n->profit_loss_fen, 2);
}

static int print_table(const char *admdvs, int insutype, const period *p,
                        const settle_result *res)
{
    static const char *const q_head[] = {"hospital",   "points",      "medfee",   "fund_amount",
                                         "psn_part",   "settlement",  "fund_settlement",
                                         "retention",  "monthly_payables", "payable",
                                         "profit_loss"};
    static const char *const y_head[] = {
        "hospital",        "points",         "medfee",          "fund_amount",
        "psn_part",        "settlement",     "sharing_case",    "shared_settlement",
        "fund_settlement", "retention",      "monthly_payables", "payable",
        "profit_loss"};
    const char *const *head = p->is_year ? y_head : q_head;
    int ncol = p->is_year ? 13 : 11;
    int n = res->n_rows + 2; /* header, rows, total */
    table_line *t = calloc((size_t)n, sizeof *t);
    if (!t)
        return -1;
    for (int k = 0; k < ncol; k++)
        snprintf(t[0].c[k], CELL, "%s", head[k]);
    for (int i = 0; i < res->n_rows; i++)
        fill_line(&t[i + 1], &res->rows[i], p->is_year);
    fill_line(&t[n - 1], &res->total, p->is_year);
    size_t wid[NCOL] = {0};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ncol; k++)
            if (strlen(t[i].c[k]) > wid[k])
                wid[k] = strlen(t[i].c[k]);

    char from[16], to[16], b[48], pts[48], pv[48];
    dd_time_format_month(dd_time_month_make(p->year, p->first_month), from, sizeof from);
    dd_time_format_month(dd_time_month_make(p->year, p->first_month + p->n_months - 1), to,
                         sizeof to);
    dd_dec_format(b, sizeof b, res->budget_fen, 2);
    dd_dec_format(pts, sizeof pts, res->points_e4, 4);
    dd_dec_format(pv, sizeof pv, res->point_value_e6, 6);
    printf("%s settlement, region %s, insutype %d, %s (%s .. %s)\n",
           p->is_year ? "Yearly" : "Quarterly", admdvs, insutype, p->label, from, to);
    printf("budget %s  points %s  point value %s\n", b, pts, pv);
    dd_dec_format(b, sizeof b, res->retention_rate_e6, 6);
    printf("retention rate %s", b);
    if (p->is_year) {
        dd_dec_format(pts, sizeof pts, res->sharing.rate_e6, 6);
        dd_dec_format(pv, sizeof pv, res->sharing.band_e6, 6);
        printf("  sharing rate %s  band %s", pts, pv);
    }
    printf("\n\n");
    for (int i = 0; i < n; i++) {
        if (i == n - 1) { /* rule above the total */
            size_t all = 0;
            for (int k = 0; k < ncol; k++)
                all += wid[k] + (k ? 2 : 0);
            for (size_t j = 0; j < all; j++)
                putchar('-');
            putchar('\n');
        }
        for (int k = 0; k < ncol; k++) {
            /* text columns left-aligned, figures right-aligned */
            int left = k == 0 || (p->is_year && k == 6);
            if (k)
                fputs("  ", stdout);
            printf(left ? "%-*s" : "%*s", (int)wid[k], t[i].c[k]);
        }
        putchar('\n');
    }
    printf("\npayable < 0 is a claw-back. Money in yuan, points in points.\n");
    free(t);
    return 0;
}

int dd_cmd_settle(int argc, char **argv)
{
    const char *events = NULL, *data = NULL, *region = NULL, *insutype_s = NULL,
               *quarter = NULL, *year = NULL, *redis = NULL, *conf = NULL;
    int json = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            settle_usage(stdout);
            return 0;
        }
        const char **dst = !strcmp(a, "--events")     ? &events
                           : !strcmp(a, "--data")     ? &data
                           : !strcmp(a, "--region")   ? &region
                           : !strcmp(a, "--insutype") ? &insutype_s
                           : !strcmp(a, "--quarter")  ? &quarter
                           : !strcmp(a, "--year")     ? &year
                           : !strcmp(a, "--redis")    ? &redis
                           : !strcmp(a, "--config")   ? &conf
                                                      : NULL;
        if (dst) {
            if (i + 1 >= argc) {
                fprintf(stderr, "drgdip settle: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[++i];
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else {
            fprintf(stderr, "drgdip settle: unknown option '%s'\n", a);
            settle_usage(stderr);
            return 2;
        }
    }
    if (!events == !redis || !region || !insutype_s || (!quarter == !year)) {
        fprintf(stderr, "drgdip settle: --region, --insutype, one of --quarter or --year and "
                        "one of --events or --redis are required\n");
        settle_usage(stderr);
        return 2;
    }
    if (conf && !redis) {
        fprintf(stderr, "drgdip settle: --config goes with --redis\n");
        return 2;
    }
    if (strlen(region) != 6 || strspn(region, "0123456789") != 6) {
        fprintf(stderr, "drgdip settle: --region must be 6 digits\n");
        return 2;
    }
    if (strcmp(insutype_s, "310") && strcmp(insutype_s, "390")) {
        fprintf(stderr, "drgdip settle: --insutype must be 310 or 390\n");
        return 2;
    }
    int insutype = atoi(insutype_s);
    period p;
    if (parse_period(quarter, year, &p)) {
        fprintf(stderr, quarter ? "drgdip settle: --quarter must be YYYYQn (n = 1..4)\n"
                                : "drgdip settle: --year must be YYYY\n");
        return 2;
    }

    char err[1024];
    dd_config *cfg = NULL;
    if (redis) { /* the run configuration: redis.password, data.dir (as `drgdip snapshot`) */
        cfg = dd_config_new();
        if (!cfg) {
            fprintf(stderr, "drgdip settle: out of memory\n");
            return 1;
        }
        if ((conf && dd_config_load_file(cfg, conf, err, sizeof err)) ||
            dd_config_apply_env(cfg, environ, err, sizeof err)) {
            fprintf(stderr, "drgdip settle: config: %s\n", err);
            dd_config_destroy(cfg);
            return 2;
        }
        if (!data) {
            const char *d = dd_config_get(cfg, "data.dir");
            data = d && *d ? d : NULL;
        }
    }
    int rc = 1, n_snaps = 0;
    char *text = NULL;
    dd_ledger *l = NULL;
    dd_store *st = NULL;
    dd_snapshot snaps[12];
    settle_result res;
    memset(&res, 0, sizeof res);
    dd_datadir *dir = dd_datadir_open(data, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "drgdip settle: %s\n", err);
        goto out;
    }
    const dd_dataset *ds = dd_datadir_dataset(dir);
    const dd_region *r = dd_dataset_region(ds, region);
    if (!r) {
        fprintf(stderr, "drgdip settle: region %s is not in the data set\n", region);
        goto out;
    }
    if (events) {
        size_t len = 0;
        text = dd_file_read(events, &len, err, sizeof err); /* "-" = stdin */
        if (!text) {
            fprintf(stderr, "drgdip settle: %s\n", err);
            goto out;
        }
        l = dd_ledger_new(ds);
        if (!l) {
            fprintf(stderr, "drgdip settle: out of memory\n");
            goto out;
        }
        if (replay_text(l, text, len, quiet))
            goto out;
    } else {
        st = dd_live_connect(cfg, redis, err, sizeof err);
        if (!st) {
            fprintf(stderr, "drgdip settle: redis: %s\n", err);
            goto out;
        }
    }
    if (month_snapshots(l, st, ds, region, insutype, &p, snaps, err, sizeof err)) {
        fprintf(stderr, "drgdip settle: %s\n", err);
        goto out;
    }
    n_snaps = p.n_months;
    if (settle_compute(snaps, n_snaps, r, &p, &res)) {
        fprintf(stderr, "drgdip settle: out of memory\n");
        goto out;
    }
    if (json) {
        dd_jw w;
        dd_jw_init(&w);
        settle_json(&w, region, insutype, &p, &res);
        dd_jw_append(&w, "\n", 1);
        if (w.oom || fwrite(w.buf, 1, w.len, stdout) != w.len)
            fprintf(stderr, "drgdip settle: cannot write the result\n");
        else
            rc = 0;
        dd_jw_free(&w);
    } else {
        if (print_table(region, insutype, &p, &res))
            fprintf(stderr, "drgdip settle: out of memory\n");
        else
            rc = 0;
    }
    if (fflush(stdout))
        rc = 1;
out:
    free(res.rows);
    for (int i = 0; i < n_snaps; i++)
        dd_snapshot_free(&snaps[i]);
    dd_store_destroy(st);
    dd_ledger_destroy(l);
    free(text);
    dd_datadir_close(dir);
    dd_config_destroy(cfg);
    return rc;
}
