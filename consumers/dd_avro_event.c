/*
 * dd_avro_event — see dd_avro_event.h. One table of the SettlementEvent
 * fields drives both directions, so encode and decode cannot drift apart.
 * Decoding tries the fast path (plans compiled from the writer schemas'
 * JSON, bytes read directly) and falls back to the avro-c path, which
 * stays the reference (tests/0088 compares the two).
 */
#include "dd_avro_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_json.h"
#include "dd_num.h"
#include "dd_schemas.h"
#include "dd_time.h"

enum akind {
    A_STR,      /* nullable string -> inline string */
    A_LONG,     /* nullable long (times in ms, amounts in fen) -> int64 */
    A_DATE,     /* nullable int days -> int32 */
    A_INT,      /* nullable int -> int */
    A_DIGIT,    /* nullable string of one digit -> int (gend) */
    A_CODE,     /* nullable digit string -> int (insutype, dscg_way) */
    A_BOOL,     /* nullable boolean -> int */
    A_DXLIST,   /* nullable array of strings */
    A_PROCLIST,
    A_ERRLIST,
    A_STATUS,   /* nullable string APPLIED/APPROVED/REJECTED */
    A_POINTS,   /* nullable long 1/10000 (a decimal string is read too) */
    A_PAYMETHOD,
    A_MONTH_INT, /* BUDGET month: int branch */
    A_MONTH_STR  /* MONTH_CLOSE month: string branch "YYYY-MM" */
};

#define T(x) (1u << (x))
#define T_ALL 0x1FEu
#define T_CASE                                                                                     \
    (T(DD_EV_SETTLEMENT) | T(DD_EV_SETTLEMENT_REVERSAL) | T(DD_EV_SETTLEMENT_LIST) |               \
     T(DD_EV_QC_RESULT) | T(DD_EV_RECONCILED) | T(DD_EV_SPECIAL_CASE))

typedef struct {
    const char *name;
    enum akind kind;
    unsigned types; /* event types the field applies to */
    uint64_t bit;
    size_t off;
    size_t cap; /* A_STR */
} afield;

#define OFF(f) offsetof(dd_event, f)
#define CAP(f) sizeof(((dd_event *)0)->f)

/* event_id, type and event_time are the non-null head, handled apart. */
static const afield afields[] = {
    {"admdvs", A_STR, T_ALL, DD_F_ADMDVS, OFF(admdvs), CAP(admdvs)},
    {"fixmedins_code", A_STR, T_ALL, DD_F_FIXMEDINS, OFF(fixmedins_code), CAP(fixmedins_code)},
    {"setl_id", A_STR, T_CASE, DD_F_SETL_ID, OFF(setl_id), CAP(setl_id)},
    {"mdtrt_id", A_STR, T(DD_EV_SETTLEMENT), DD_F_MDTRT_ID, OFF(mdtrt_id), CAP(mdtrt_id)},
    {"psn_no", A_STR, T(DD_EV_SETTLEMENT), DD_F_PSN_NO, OFF(psn_no), CAP(psn_no)},
    {"insutype", A_CODE, T(DD_EV_SETTLEMENT) | T(DD_EV_BUDGET) | T(DD_EV_MONTH_CLOSE),
     DD_F_INSUTYPE, OFF(insutype), 0},
    {"insuplc_admdvs", A_STR, T(DD_EV_SETTLEMENT), DD_F_INSUPLC, OFF(insuplc_admdvs),
     CAP(insuplc_admdvs)},
    {"begndate", A_DATE, T(DD_EV_SETTLEMENT), DD_F_BEGNDATE, OFF(begndate), 0},
    {"enddate", A_DATE, T(DD_EV_SETTLEMENT), DD_F_ENDDATE, OFF(enddate), 0},
    {"setl_time", A_LONG, T(DD_EV_SETTLEMENT), DD_F_SETL_TIME, OFF(setl_time_ms), 0},
    {"medfee_sumamt", A_LONG, T(DD_EV_SETTLEMENT), DD_F_MEDFEE, OFF(medfee_fen), 0},
    {"fund_pay_sumamt", A_LONG, T(DD_EV_SETTLEMENT), DD_F_FUND, OFF(fund_fen), 0},
    {"psn_part_amt", A_LONG, T(DD_EV_SETTLEMENT), DD_F_PSN_PART, OFF(psn_part_fen), 0},
    {"acct_pay", A_LONG, T(DD_EV_SETTLEMENT), DD_F_ACCT_PAY, OFF(acct_pay_fen), 0},
    {"pay_method", A_PAYMETHOD, T(DD_EV_SETTLEMENT), DD_F_PAY_METHOD, OFF(pay_method), 0},
    {"bed_day_group", A_STR, T(DD_EV_SETTLEMENT), DD_F_BED_DAY_GROUP, OFF(bed_day_group),
     CAP(bed_day_group)},
    {"gend", A_DIGIT, T(DD_EV_SETTLEMENT_LIST), DD_F_GEND, OFF(gend), 0},
    {"age", A_INT, T(DD_EV_SETTLEMENT_LIST), DD_F_AGE, OFF(age), 0},
    {"age_days", A_INT, T(DD_EV_SETTLEMENT_LIST), DD_F_AGE_DAYS, OFF(age_days), 0},
    {"nwb_bir_wt", A_INT, T(DD_EV_SETTLEMENT_LIST), DD_F_NWB_BIR_WT, OFF(nwb_bir_wt), 0},
    {"ipt_days", A_INT, T(DD_EV_SETTLEMENT_LIST), DD_F_IPT_DAYS, OFF(ipt_days), 0},
    {"dscg_way", A_CODE, T(DD_EV_SETTLEMENT_LIST), DD_F_DSCG_WAY, OFF(dscg_way), 0},
    {"main_dx", A_STR, T(DD_EV_SETTLEMENT_LIST), DD_F_MAIN_DX, OFF(main_dx), CAP(main_dx)},
    {"other_dx", A_DXLIST, T(DD_EV_SETTLEMENT_LIST), DD_F_OTHER_DX, 0, 0},
    {"procedures", A_PROCLIST, T(DD_EV_SETTLEMENT_LIST), DD_F_PROCEDURES, 0, 0},
    {"passed", A_BOOL, T(DD_EV_QC_RESULT), DD_F_PASSED, OFF(passed), 0},
    {"errors", A_ERRLIST, T(DD_EV_QC_RESULT), DD_F_ERRORS, 0, 0},
    {"status", A_STATUS, T(DD_EV_SPECIAL_CASE), DD_F_STATUS, OFF(status), 0},
    {"points", A_POINTS, T(DD_EV_SPECIAL_CASE), DD_F_POINTS, OFF(points_e4), 0},
    {"pay_as_ffs", A_BOOL, T(DD_EV_SPECIAL_CASE), DD_F_PAY_AS_FFS, OFF(pay_as_ffs), 0},
    {"year", A_INT, T(DD_EV_BUDGET), DD_F_YEAR, OFF(year), 0},
    {"month", A_MONTH_INT, T(DD_EV_BUDGET), DD_F_MONTH, OFF(month), 0},
    {"amount", A_LONG, T(DD_EV_BUDGET), DD_F_AMOUNT, OFF(amount_fen), 0},
    {"month", A_MONTH_STR, T(DD_EV_MONTH_CLOSE), DD_F_CLOSE_MONTH, OFF(close_month), 0},
};
#define N_AFIELDS (sizeof afields / sizeof afields[0])

/* ---- fast-path plans (see the header) ---- */

enum wleaf { W_NULL, W_BOOL, W_INT, W_LONG, W_STRING, W_ENUM, W_ARR_STR };
enum wrole { R_SKIP, R_EVENT_ID, R_TYPE, R_EVENT_TIME, R_FIELD };

#define PLAN_MAX_BRANCH 3
#define PLAN_MAX_SYMBOLS 32

typedef struct {
    unsigned char nb;                    /* union branches; 0 = not a union */
    unsigned char leaf[PLAN_MAX_BRANCH]; /* leaf[0] when not a union */
    unsigned char role;
    /* Fields from this one on whose branch 0 is null (a 0 byte reads them
     * all as absent), at most 255. */
    unsigned char null_run;
    signed char af[DD_EV__COUNT]; /* by event type: the afields[] entry it feeds, -1 none */
} plan_field;

typedef struct {
    uint64_t fp;
    size_t n;
    plan_field *f; /* writer order */
    int n_sym;
    dd_event_type sym_type[PLAN_MAX_SYMBOLS]; /* writer enum index -> type */
} plan;

struct dd_avro_event_codec {
    dd_avro_codec *avro;
    plan *plans;
    size_t n_plans;
    int fast;
    uint64_t n_fast;
};

/* Shape of one schema node {leaf, enum symbols}; -1 when the plan cannot
 * express it (named references, bytes, float, maps, records, nested unions). */
typedef struct {
    unsigned char nb;
    unsigned char leaf[PLAN_MAX_BRANCH];
    const dd_json_value *symbols; /* W_ENUM */
} tshape;

static int leaf_of(const dd_json_value *v, unsigned char *leaf, const dd_json_value **symbols,
                   int depth)
{
    static const struct {
        const char *name;
        enum wleaf leaf;
    } prims[] = {{"null", W_NULL}, {"boolean", W_BOOL}, {"int", W_INT},
                 {"long", W_LONG}, {"string", W_STRING}};
    if (depth > 4)
        return -1;
    if (v->type == DD_JSON_OBJECT) {
        const dd_json_value *t = dd_json_get(v, "type");
        if (!t)
            return -1;
        if (t->type == DD_JSON_OBJECT) /* {"type": {...}} */
            return leaf_of(t, leaf, symbols, depth + 1);
        if (t->type != DD_JSON_STRING)
            return -1;
        if (!strcmp(t->str, "array")) {
            const dd_json_value *items = dd_json_get(v, "items");
            unsigned char il;
            const dd_json_value *is = NULL;
            if (!items || leaf_of(items, &il, &is, depth + 1) || il != W_STRING)
                return -1;
            *leaf = W_ARR_STR;
            return 0;
        }
        if (!strcmp(t->str, "enum")) {
            const dd_json_value *syms = dd_json_get(v, "symbols");
            if (!syms || syms->type != DD_JSON_ARRAY)
                return -1;
            *leaf = W_ENUM;
            *symbols = syms;
            return 0;
        }
        v = t; /* {"type": "long", "logicalType": ...}: the primitive */
    }
    if (v->type != DD_JSON_STRING)
        return -1;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (!strcmp(v->str, prims[i].name)) {
            *leaf = (unsigned char)prims[i].leaf;
            return 0;
        }
    return -1;
}

static int shape_of(const dd_json_value *v, tshape *sh)
{
    memset(sh, 0, sizeof *sh);
    if (v->type != DD_JSON_ARRAY)
        return leaf_of(v, &sh->leaf[0], &sh->symbols, 0);
    if (v->n < 1 || v->n > PLAN_MAX_BRANCH)
        return -1;
    sh->nb = (unsigned char)v->n;
    int i = 0;
    for (const dd_json_value *b = dd_json_first(v); b; b = dd_json_next(b, v), i++) {
        const dd_json_value *syms = NULL;
        if (leaf_of(b, &sh->leaf[i], &syms, 0) || sh->leaf[i] == W_ENUM)
            return -1; /* enums only as the plain `type` field */
    }
    return 0;
}

static int same_shape(const tshape *a, const tshape *b)
{
    if (a->nb != b->nb)
        return 0;
    for (int i = 0; i < (a->nb ? a->nb : 1); i++)
        if (a->leaf[i] != b->leaf[i])
            return 0;
    return 1;
}

static int plain(const tshape *sh, enum wleaf l) { return !sh->nb && sh->leaf[0] == l; }

static const dd_json_value *record_fields(const dd_json_value *root)
{
    if (!root || root->type != DD_JSON_OBJECT)
        return NULL;
    const dd_json_value *t = dd_json_get(root, "type");
    const dd_json_value *f = dd_json_get(root, "fields");
    if (!t || t->type != DD_JSON_STRING || strcmp(t->str, "record") || !f ||
        f->type != DD_JSON_ARRAY)
        return NULL;
    return f;
}

static const dd_json_value *field_named(const dd_json_value *fields, const char *name)
{
    for (const dd_json_value *f = dd_json_first(fields); f; f = dd_json_next(f, fields)) {
        const dd_json_value *n = dd_json_get(f, "name");
        if (n && n->type == DD_JSON_STRING && !strcmp(n->str, name))
            return f;
    }
    return NULL;
}

static int is_head(const char *name)
{
    return !strcmp(name, "event_id") || !strcmp(name, "type") || !strcmp(name, "event_time");
}

static int is_afield(const char *name)
{
    for (size_t i = 0; i < N_AFIELDS; i++)
        if (!strcmp(afields[i].name, name))
            return 1;
    return 0;
}

/* The plan of writer `wf` (fields array) read by reader `rf`: 0, or -1
 * when the plan cannot express it (then the writer takes the slow path). */
static int plan_compile(plan *pl, const dd_json_value *wf, const dd_json_value *rf)
{
    memset(pl, 0, sizeof *pl);
    /* Reader fields the writer lacks read as their default: only a null
     * default keeps them absent, as the fast path leaves them. */
    for (const dd_json_value *r = dd_json_first(rf); r; r = dd_json_next(r, rf)) {
        const dd_json_value *n = dd_json_get(r, "name");
        if (!n || n->type != DD_JSON_STRING)
            return -1;
        if (field_named(wf, n->str))
            continue;
        if (is_head(n->str))
            return -1;
        const dd_json_value *d = dd_json_get(r, "default");
        if (is_afield(n->str) && (!d || d->type != DD_JSON_NULL))
            return -1;
    }
    if (wf->n == 0)
        return -1;
    pl->f = calloc(wf->n, sizeof *pl->f);
    if (!pl->f)
        return -1;
    int seen_head = 0;
    for (const dd_json_value *w = dd_json_first(wf); w; w = dd_json_next(w, wf)) {
        plan_field *pf = &pl->f[pl->n++];
        const dd_json_value *n = dd_json_get(w, "name");
        const dd_json_value *t = dd_json_get(w, "type");
        tshape ws, rs;
        if (!n || n->type != DD_JSON_STRING || !t || shape_of(t, &ws))
            goto fail;
        pf->nb = ws.nb;
        memcpy(pf->leaf, ws.leaf, sizeof pf->leaf);
        memset(pf->af, -1, sizeof pf->af);
        if (ws.leaf[0] == W_ENUM && strcmp(n->str, "type"))
            goto fail; /* an enum elsewhere: not expressed */
        const dd_json_value *r = field_named(rf, n->str);
        if (!r) {
            if (is_head(n->str))
                goto fail;
            pf->role = R_SKIP; /* the reader lacks it: avro-c skips it */
            continue;
        }
        const dd_json_value *rt = dd_json_get(r, "type");
        if (!rt || shape_of(rt, &rs) || !same_shape(&ws, &rs))
            goto fail;
        if (!strcmp(n->str, "event_id")) {
            if (!plain(&ws, W_STRING))
                goto fail;
            pf->role = R_EVENT_ID;
            seen_head |= 1;
        } else if (!strcmp(n->str, "event_time")) {
            if (!plain(&ws, W_LONG))
                goto fail;
            pf->role = R_EVENT_TIME;
            seen_head |= 2;
        } else if (!strcmp(n->str, "type")) {
            if (!plain(&ws, W_ENUM) || !rs.symbols)
                goto fail;
            /* avro-c maps enums by position: writer symbol k is read as the
             * reader's symbol k, which must be the same name. */
            const dd_json_value *rsym = dd_json_first(rs.symbols);
            int k = 0;
            for (const dd_json_value *ws_ = dd_json_first(ws.symbols); ws_;
                 ws_ = dd_json_next(ws_, ws.symbols), k++) {
                if (k >= PLAN_MAX_SYMBOLS || !rsym || ws_->type != DD_JSON_STRING ||
                    rsym->type != DD_JSON_STRING || strcmp(ws_->str, rsym->str))
                    goto fail;
                pl->sym_type[k] = dd_event_type_parse(ws_->str, ws_->len);
                rsym = dd_json_next(rsym, rs.symbols);
            }
            if (k == 0)
                goto fail;
            pl->n_sym = k;
            pf->role = R_TYPE;
            seen_head |= 4;
        } else {
            int na = 0;
            for (size_t i = 0; i < N_AFIELDS; i++) {
                if (strcmp(afields[i].name, n->str))
                    continue;
                na++;
                for (int t = DD_EV_NONE + 1; t < DD_EV__COUNT; t++) {
                    if (!(afields[i].types & T(t)))
                        continue;
                    if (pf->af[t] >= 0)
                        goto fail; /* two entries for one type: not expressed */
                    pf->af[t] = (signed char)i;
                }
            }
            pf->role = na ? R_FIELD : R_SKIP; /* not a dd_event field: ignored */
        }
    }
    if (seen_head != 7)
        goto fail;
    for (size_t i = pl->n; i-- > 0;) {
        plan_field *pf = &pl->f[i];
        if (pf->nb && pf->leaf[0] == W_NULL)
            pf->null_run = (unsigned char)(i + 1 < pl->n && pl->f[i + 1].null_run < 255
                                               ? pl->f[i + 1].null_run + 1
                                               : 1);
    }
    return 0;
fail:
    free(pl->f);
    pl->f = NULL;
    pl->n = 0;
    return -1;
}

/* A plan for every embedded event-v* writer the plan can express, read
 * by `own`. Errors only mean fewer plans (the slow path still works). */
static void plans_build(dd_avro_event_codec *c, const dd_schema_file *own)
{
    size_t n = 0;
    for (const dd_schema_file *f = dd_schema_files; f->name; f++)
        if (!strncmp(f->name, "event-v", 7))
            n++;
    c->plans = calloc(n ? n : 1, sizeof *c->plans);
    dd_json_doc *rdoc = dd_json_doc_new(), *wdoc = dd_json_doc_new();
    const dd_json_value *rf =
        rdoc ? record_fields(dd_json_parse(rdoc, own->text, own->len)) : NULL;
    if (!c->plans || !rf || !wdoc)
        goto out;
    for (const dd_schema_file *f = dd_schema_files; f->name; f++) {
        if (strncmp(f->name, "event-v", 7))
            continue;
        uint64_t fp;
        dd_avro_error ae;
        if (dd_avro_fingerprint(f->text, f->len, &fp, &ae))
            continue;
        const dd_json_value *wf = record_fields(dd_json_parse(wdoc, f->text, f->len));
        plan *pl = &c->plans[c->n_plans];
        if (!wf || plan_compile(pl, wf, rf))
            continue;
        pl->fp = fp;
        c->n_plans++;
    }
out:
    dd_json_doc_destroy(rdoc);
    dd_json_doc_destroy(wdoc);
}

dd_avro_event_codec *dd_avro_event_codec_new(const char *schema_name, char *errbuf,
                                             size_t errcap)
{
    if (!schema_name)
        schema_name = "event-v2";
    const dd_schema_file *own = dd_schema_find(schema_name);
    if (!own) {
        snprintf(errbuf, errcap, "no embedded schema %s", schema_name);
        return NULL;
    }
    dd_avro_event_codec *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errbuf, errcap, "out of memory");
        return NULL;
    }
    dd_avro_error ae;
    c->avro = dd_avro_codec_new(own->text, own->len, &ae);
    if (!c->avro) {
        snprintf(errbuf, errcap, "%s: %s", schema_name, ae.msg);
        free(c);
        return NULL;
    }
    /* Every shipped version of the input event is a known writer. */
    for (const dd_schema_file *f = dd_schema_files; f->name; f++) {
        if (strncmp(f->name, "event-v", 7))
            continue;
        uint64_t fp;
        if (dd_avro_codec_add_writer(c->avro, f->text, f->len, &fp, &ae)) {
            snprintf(errbuf, errcap, "writer %s: %s", f->name, ae.msg);
            dd_avro_event_codec_destroy(c);
            return NULL;
        }
    }
    plans_build(c, own);
    c->fast = 1;
    return c;
}

void dd_avro_event_codec_destroy(dd_avro_event_codec *c)
{
    if (!c)
        return;
    dd_avro_codec_destroy(c->avro);
    for (size_t i = 0; i < c->n_plans; i++)
        free(c->plans[i].f);
    free(c->plans);
    free(c);
}

void dd_avro_event_codec_set_fast(dd_avro_event_codec *c, int on) { c->fast = on != 0; }

uint64_t dd_avro_event_codec_fast_count(const dd_avro_event_codec *c) { return c->n_fast; }

int dd_avro_event_codec_has_plan(const dd_avro_event_codec *c, uint64_t fp)
{
    for (size_t i = 0; i < c->n_plans; i++)
        if (c->plans[i].fp == fp)
            return 1;
    return 0;
}

uint64_t dd_avro_event_codec_fingerprint(const dd_avro_event_codec *c)
{
    return dd_avro_codec_fingerprint(c->avro);
}

dd_avro_codec *dd_avro_event_codec_avro(dd_avro_event_codec *c) { return c->avro; }

/* ---- encode ---- */

/* The branch of `field` (a union, or a plain value) of Avro type t. */
static int select_branch(avro_value_t *field, avro_type_t t, avro_value_t *out)
{
    avro_schema_t s = avro_value_get_schema(field);
    if (avro_typeof(s) != AVRO_UNION) {
        if (avro_typeof(s) != t)
            return -1;
        *out = *field;
        return 0;
    }
    size_t n = avro_schema_union_size(s);
    for (size_t i = 0; i < n; i++)
        if (avro_typeof(avro_schema_union_branch(s, (int)i)) == t)
            return avro_value_set_branch(field, (int)i, out) ? -1 : 0;
    return -1;
}

static int put_string_list(avro_value_t *arr, const dd_event *ev, enum akind k)
{
    int n = k == A_DXLIST ? ev->n_other_dx : k == A_PROCLIST ? ev->n_procedures : ev->n_errors;
    for (int i = 0; i < n; i++) {
        const char *s = k == A_DXLIST     ? ev->other_dx[i]
                        : k == A_PROCLIST ? ev->procedures[i]
                                          : dd_event_error_at(ev, i);
        avro_value_t e;
        if (avro_value_append(arr, &e, NULL) || avro_value_set_string(&e, s))
            return -1;
    }
    return 0;
}

static int encode_field(const afield *fd, const dd_event *ev, avro_value_t *field,
                        dd_event_error *err)
{
    const char *base = (const char *)ev;
    avro_value_t b;
    char tmp[32];
    int iv;
    switch (fd->kind) {
    case A_STR:
        if (select_branch(field, AVRO_STRING, &b))
            goto schema;
        return avro_value_set_string(&b, base + fd->off) ? -1 : 0;
    case A_LONG:
    case A_POINTS:
        if (select_branch(field, AVRO_INT64, &b))
            goto schema;
        return avro_value_set_long(&b, *(const int64_t *)(base + fd->off)) ? -1 : 0;
    case A_DATE:
        if (select_branch(field, AVRO_INT32, &b))
            goto schema;
        return avro_value_set_int(&b, *(const int32_t *)(base + fd->off)) ? -1 : 0;
    case A_INT:
    case A_MONTH_INT:
        if (select_branch(field, AVRO_INT32, &b))
            goto schema;
        return avro_value_set_int(&b, *(const int *)(base + fd->off)) ? -1 : 0;
    case A_DIGIT:
        iv = *(const int *)(base + fd->off);
        if (iv < 0 || iv > 9) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be a single digit", fd->name);
            return -1;
        }
        /* fallthrough */
    case A_CODE:
        iv = *(const int *)(base + fd->off);
        snprintf(tmp, sizeof tmp, "%d", iv);
        if (select_branch(field, AVRO_STRING, &b))
            goto schema;
        return avro_value_set_string(&b, tmp) ? -1 : 0;
    case A_BOOL:
        if (select_branch(field, AVRO_BOOLEAN, &b))
            goto schema;
        return avro_value_set_boolean(&b, *(const int *)(base + fd->off) != 0) ? -1 : 0;
    case A_DXLIST:
    case A_PROCLIST:
    case A_ERRLIST:
        if (select_branch(field, AVRO_ARRAY, &b))
            goto schema;
        return put_string_list(&b, ev, fd->kind);
    case A_STATUS:
        if (ev->status == DD_SPECIAL_NONE) {
            dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                               "status: must be APPLIED, APPROVED or REJECTED");
            return -1;
        }
        if (select_branch(field, AVRO_STRING, &b))
            goto schema;
        return avro_value_set_string(&b, dd_special_status_name(ev->status)) ? -1 : 0;
    case A_PAYMETHOD:
        if (ev->pay_method == DD_PAY_SCHEME)
            return 0; /* null = the region's scheme */
        if (select_branch(field, AVRO_STRING, &b))
            goto schema;
        return avro_value_set_string(&b, dd_pay_method_name(ev->pay_method)) ? -1 : 0;
    case A_MONTH_STR:
        dd_time_format_month(ev->close_month, tmp, sizeof tmp);
        if (select_branch(field, AVRO_STRING, &b))
            goto schema;
        return avro_value_set_string(&b, tmp) ? -1 : 0;
    }
schema:
    dd_event_error_set(err, DD_BAD_FIELD, "%s: the writer schema has no such branch", fd->name);
    return -1;
}

int dd_avro_event_encode(dd_avro_event_codec *c, const dd_event *ev, dd_avro_buf *out,
                         dd_event_error *err)
{
    if (err) /* the failure path below tests it */
        err->reason = DD_BAD_NONE;
    if (ev->type <= DD_EV_NONE || ev->type >= DD_EV__COUNT) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type: unknown");
        return -1;
    }
    avro_value_t *rec = dd_avro_codec_value(c->avro);
    avro_value_t f;
    if (avro_value_get_by_name(rec, "event_id", &f, NULL) ||
        avro_value_set_string(&f, ev->event_id)) {
        dd_event_error_set(err, DD_BAD_FIELD, "event_id: cannot be written");
        return -1;
    }
    if (avro_value_get_by_name(rec, "type", &f, NULL)) {
        dd_event_error_set(err, DD_BAD_FIELD, "type: not in the writer schema");
        return -1;
    }
    int sym = avro_schema_enum_get_by_name(avro_value_get_schema(&f), dd_event_type_name(ev->type));
    if (sym < 0 || avro_value_set_enum(&f, sym)) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type %s: not in the writer schema",
                           dd_event_type_name(ev->type));
        return -1;
    }
    if (avro_value_get_by_name(rec, "event_time", &f, NULL) ||
        avro_value_set_long(&f, ev->event_time_ms)) {
        dd_event_error_set(err, DD_BAD_FIELD, "event_time: cannot be written");
        return -1;
    }
    unsigned tbit = T(ev->type);
    for (size_t i = 0; i < N_AFIELDS; i++) {
        const afield *fd = &afields[i];
        if (!(fd->types & tbit) || !(ev->has & fd->bit))
            continue;
        if (avro_value_get_by_name(rec, fd->name, &f, NULL)) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: not in the writer schema", fd->name);
            return -1;
        }
        if (encode_field(fd, ev, &f, err)) {
            if (err && err->reason == DD_BAD_NONE)
                dd_event_error_set(err, DD_BAD_FIELD, "%s: cannot be written", fd->name);
            return -1;
        }
    }
    dd_avro_error ae;
    if (dd_avro_encode(c->avro, rec, out, &ae)) {
        dd_event_error_set(err, DD_BAD_UNDECODABLE, "avro encode: %s", ae.msg);
        return -1;
    }
    return 0;
}

/* ---- decode ---- */

/* 1 and the present value in *out, or 0 when the field is null. */
static int present(avro_value_t *field, avro_value_t *out)
{
    if (avro_value_get_type(field) == AVRO_UNION) {
        if (avro_value_get_current_branch(field, out))
            return 0;
    } else {
        *out = *field;
    }
    return avro_value_get_type(out) != AVRO_NULL;
}

static int get_str(avro_value_t *v, const char **s, size_t *len)
{
    size_t size;
    if (avro_value_get_type(v) != AVRO_STRING || avro_value_get_string(v, s, &size) || !size)
        return -1;
    *len = size - 1; /* avro-c counts the NUL */
    return 0;
}

static int digits_int(const char *s, size_t len, int64_t *out)
{
    if (!len || len > 18)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *out = x;
    return 0;
}

static int type_mismatch(const afield *fd, dd_event_error *err)
{
    dd_event_error_set(err, DD_BAD_FIELD, "%s: unexpected Avro type", fd->name);
    return -1;
}

static int decode_list(dd_event *ev, const afield *fd, avro_value_t *arr, dd_event_error *err)
{
    size_t n;
    if (avro_value_get_type(arr) != AVRO_ARRAY || avro_value_get_size(arr, &n))
        return type_mismatch(fd, err);
    for (size_t i = 0; i < n; i++) {
        avro_value_t e;
        const char *s;
        size_t len;
        if (avro_value_get_by_index(arr, i, &e, NULL) || get_str(&e, &s, &len))
            return type_mismatch(fd, err);
        int rc = fd->kind == A_DXLIST     ? dd_event_add_other_dx(ev, s, len, err)
                 : fd->kind == A_PROCLIST ? dd_event_add_procedure(ev, s, len, err)
                                          : dd_event_add_error(ev, s, len, err);
        if (rc)
            return -1;
    }
    return 0;
}

static int decode_field(dd_event *ev, const afield *fd, avro_value_t *v, dd_event_error *err)
{
    char *base = (char *)ev;
    avro_type_t t = avro_value_get_type(v);
    const char *s;
    size_t len;
    int64_t l;
    int32_t i32;
    int bv;
    switch (fd->kind) {
    case A_STR:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        return dd_event_set_string(base + fd->off, fd->cap, fd->name, s, len, err);
    case A_LONG:
        if (t != AVRO_INT64 || avro_value_get_long(v, &l))
            return type_mismatch(fd, err);
        *(int64_t *)(base + fd->off) = l;
        return 0;
    case A_DATE:
        if (t != AVRO_INT32 || avro_value_get_int(v, &i32))
            return type_mismatch(fd, err);
        *(int32_t *)(base + fd->off) = i32;
        return 0;
    case A_INT:
    case A_MONTH_INT:
        if (t != AVRO_INT32 || avro_value_get_int(v, &i32))
            return type_mismatch(fd, err);
        if (i32 < -1000000 || i32 > 1000000) { /* as the JSON decoder */
            dd_event_error_set(err, DD_BAD_FIELD, "%s: out of range", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = i32;
        return 0;
    case A_DIGIT:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        if (len != 1 || s[0] < '0' || s[0] > '9') {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be a single digit", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = s[0] - '0';
        return 0;
    case A_CODE:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        if (digits_int(s, len, &l) || l > 999999) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be a numeric code", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = (int)l;
        return 0;
    case A_BOOL:
        if (t != AVRO_BOOLEAN || avro_value_get_boolean(v, &bv))
            return type_mismatch(fd, err);
        *(int *)(base + fd->off) = bv != 0;
        return 0;
    case A_DXLIST:
    case A_PROCLIST:
    case A_ERRLIST:
        return decode_list(ev, fd, v, err);
    case A_STATUS:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        if (!strcmp(s, "APPLIED"))
            ev->status = DD_SPECIAL_APPLIED;
        else if (!strcmp(s, "APPROVED"))
            ev->status = DD_SPECIAL_APPROVED;
        else if (!strcmp(s, "REJECTED"))
            ev->status = DD_SPECIAL_REJECTED;
        else {
            dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                               "status: must be APPLIED, APPROVED or REJECTED");
            return -1;
        }
        return 0;
    case A_POINTS:
        if (t == AVRO_INT64 && !avro_value_get_long(v, &l)) {
            ev->points_e4 = l; /* range: dd_event_validate */
            return 0;
        }
        if (t == AVRO_STRING && !get_str(v, &s, &len)) {
            if (dd_dec_parse(s, len, 4, 4, &ev->points_e4)) {
                dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                                   "points: must be a number >= 0 with at most 4 decimals");
                return -1;
            }
            return 0;
        }
        return type_mismatch(fd, err);
    case A_PAYMETHOD:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        if (!strcmp(s, "BED_DAY"))
            ev->pay_method = DD_PAY_BED_DAY;
        else if (!strcmp(s, "FFS"))
            ev->pay_method = DD_PAY_FFS;
        else {
            dd_event_error_set(err, DD_BAD_FIELD, "pay_method: must be BED_DAY or FFS");
            return -1;
        }
        return 0;
    case A_MONTH_STR:
        if (get_str(v, &s, &len))
            return type_mismatch(fd, err);
        if (dd_time_parse_month(s, len, &ev->close_month)) {
            dd_event_error_set(err, DD_BAD_FIELD, "month: must be YYYY-MM");
            return -1;
        }
        return 0;
    }
    return type_mismatch(fd, err);
}

/* ---- fast path: straight from the bytes ----
 * Every helper returns -1 on ANY doubt; the caller then runs the avro-c
 * path from scratch. The checks are those of dd_avro.c's walker or
 * stricter, so a body the fast path accepts is one the walker and avro-c
 * accept with the same values. */

/* Zigzag varint, minimally encoded (an overlong form is legal Avro but
 * avro-c versions differ on it: defer), at most 10 bytes, fits 64 bits. */
static inline int fp_long(const unsigned char **pp, const unsigned char *end, int64_t *out)
{
    const unsigned char *p = *pp;
    if (p >= end)
        return -1;
    unsigned b = *p++;
    uint64_t v = b;
    if (b & 0x80) {
        v &= 0x7f;
        for (int i = 1;; i++) {
            if (i == 10 || p >= end)
                return -1;
            b = *p++;
            if (i == 9 && b > 1)
                return -1;
            v |= (uint64_t)(b & 0x7f) << (7 * i);
            if (!(b & 0x80)) {
                if (!b)
                    return -1; /* not minimal */
                break;
            }
        }
    }
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    *pp = p;
    return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FP_LITTLE_ENDIAN 1
#else
#define FP_LITTLE_ENDIAN 0
#endif

/* 8 bytes, none 0 and none >= 0x80. */
static inline int fp_ascii8(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    return !((((w - ones) & ~w) | w) & highs);
}

static inline int fp_string(const unsigned char **pp, const unsigned char *end, const char **s,
                            size_t *len)
{
    int64_t n;
    if (fp_long(pp, end, &n) || n < 0 || (uint64_t)n > (uint64_t)(end - *pp))
        return -1;
    const unsigned char *p = *pp;
    /* Plain ASCII without NUL is valid; anything else gets the full check. */
    size_t un = (size_t)n;
    int plain = 1;
    uint64_t w;
    if (un >= 8) {
        size_t i = 0;
        for (; plain && i + 8 <= un; i += 8) {
            memcpy(&w, p + i, 8);
            plain = fp_ascii8(w);
        }
        if (plain && i < un) { /* the last 8 bytes, overlapping */
            memcpy(&w, p + un - 8, 8);
            plain = fp_ascii8(w);
        }
    } else if (un && FP_LITTLE_ENDIAN && (size_t)(end - p) >= 8) {
        /* 8 bytes of the message; the ones past the string become spaces */
        memcpy(&w, p, 8);
        uint64_t keep = (UINT64_C(1) << (8 * un)) - 1;
        plain = fp_ascii8((w & keep) | (UINT64_C(0x2020202020202020) & ~keep));
    } else {
        for (size_t i = 0; plain && i < un; i++)
            plain = (unsigned)p[i] - 1u < 0x7fu;
    }
    if (!plain && !dd_avro_utf8_ok(p, un))
        return -1;
    *s = (const char *)p;
    *len = (size_t)n;
    *pp = p + n;
    return 0;
}

/* An Avro int: avro-c reads it as a long that must fit int32. */
static inline int fp_int(const unsigned char **pp, const unsigned char *end, int32_t *out)
{
    int64_t v;
    if (fp_long(pp, end, &v) || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static inline void fp_copy(char *dst, const char *s, size_t len)
{
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* A string value into field fd, as decode_field does (-1: defer). */
static int fp_put_string(dd_event *ev, const afield *fd, const char *s, size_t len)
{
    char *base = (char *)ev;
    int64_t l;
    switch (fd->kind) {
    case A_STR:
        if (len >= fd->cap)
            return -1;
        fp_copy(base + fd->off, s, len);
        return 0;
    case A_DIGIT:
        if (len != 1 || s[0] < '0' || s[0] > '9')
            return -1;
        *(int *)(base + fd->off) = s[0] - '0';
        return 0;
    case A_CODE:
        if (digits_int(s, len, &l) || l > 999999)
            return -1;
        *(int *)(base + fd->off) = (int)l;
        return 0;
    case A_STATUS:
        if (len == 7 && !memcmp(s, "APPLIED", 7))
            ev->status = DD_SPECIAL_APPLIED;
        else if (len == 8 && !memcmp(s, "APPROVED", 8))
            ev->status = DD_SPECIAL_APPROVED;
        else if (len == 8 && !memcmp(s, "REJECTED", 8))
            ev->status = DD_SPECIAL_REJECTED;
        else
            return -1;
        return 0;
    case A_PAYMETHOD:
        if (len == 7 && !memcmp(s, "BED_DAY", 7))
            ev->pay_method = DD_PAY_BED_DAY;
        else if (len == 3 && !memcmp(s, "FFS", 3))
            ev->pay_method = DD_PAY_FFS;
        else
            return -1;
        return 0;
    case A_MONTH_STR:
        return dd_time_parse_month(s, len, &ev->close_month) ? -1 : 0;
    default: /* A_POINTS as a decimal string and every type mismatch */
        return -1;
    }
}

/* An array of strings, into fd's list when fd is not NULL. */
/* An empty array is present and empty, as the avro-c path reads it from
 * the reader's own schema. From another writer avro-c's resolver never
 * selects the reader's union branch for an empty array, so the avro-c path
 * fails ("Union has no selected branch") on a fresh codec, and later keeps
 * whatever branch the codec's previous avro-c decode left there; the fast
 * path gives the answer of a codec that has read a non-empty array there
 * before (present and empty), whatever the history (see the header). */
static int fp_list(const unsigned char **pp, const unsigned char *end, dd_event *ev,
                   const afield *fd)
{
    for (;;) {
        int64_t n;
        if (fp_long(pp, end, &n))
            return -1;
        if (n == 0)
            return 0;
        const unsigned char *block_end = NULL;
        if (n < 0) {
            int64_t bytes;
            if (n == INT64_MIN || fp_long(pp, end, &bytes) || bytes < 0 ||
                (uint64_t)bytes > (uint64_t)(end - *pp))
                return -1;
            n = -n;
            block_end = *pp + bytes;
        }
        if ((uint64_t)n > (uint64_t)(end - *pp)) /* each item takes >= 1 byte */
            return -1;
        for (int64_t i = 0; i < n; i++) {
            const char *s;
            size_t len;
            if (fp_string(pp, end, &s, &len))
                return -1;
            if (!fd)
                continue;
            int rc = fd->kind == A_DXLIST     ? dd_event_add_other_dx(ev, s, len, NULL)
                     : fd->kind == A_PROCLIST ? dd_event_add_procedure(ev, s, len, NULL)
                     : fd->kind == A_ERRLIST  ? dd_event_add_error(ev, s, len, NULL)
                                              : -1;
            if (rc)
                return -1;
        }
        if (block_end && *pp != block_end) /* avro-c ignores the size: be strict */
            return -1;
    }
}

/* 0 with ev filled exactly as the slow path would, or -1 (ev is then
 * garbage: the slow path clears it again). */
static int fast_decode(const dd_avro_event_codec *c, const unsigned char *b, size_t len,
                       dd_event *ev)
{
    if (len < DD_AVRO_HEADER_LEN || b[0] != DD_AVRO_MAGIC0 || b[1] != DD_AVRO_MAGIC1)
        return -1;
    uint64_t fp = 0;
    for (int i = 7; i >= 0; i--)
        fp = (fp << 8) | b[2 + i];
    const plan *pl = NULL;
    for (size_t i = 0; i < c->n_plans; i++)
        if (c->plans[i].fp == fp) {
            pl = &c->plans[i];
            break;
        }
    if (!pl)
        return -1;
    const unsigned char *p = b + DD_AVRO_HEADER_LEN, *end = b + len;
    char *base = (char *)ev;
    dd_event_clear(ev);
    for (size_t i = 0; i < pl->n; i++) {
        const plan_field *f = &pl->f[i];
        /* Runs of null fields, 8 at a time: 8 zero bytes. */
        while (f->null_run >= 8 && end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w)
                break;
            p += 8;
            i += 8;
            if (i >= pl->n)
                break;
            f += 8;
        }
        if (i >= pl->n)
            break;
        unsigned leaf = f->leaf[0];
        if (f->nb) {
            /* Branch k < 3 is the one byte 2k; anything else (negative,
             * too big, several bytes) is out of range. */
            if (p >= end || *p >= 2 * f->nb || (*p & 1))
                return -1;
            leaf = f->leaf[*p++ >> 1];
            if (leaf == W_NULL)
                continue; /* absent: the common case */
        }
        const afield *fd = NULL;
        if (f->role == R_FIELD) {
            if (ev->type == DD_EV_NONE)
                return -1; /* a value before `type`: cannot tell if it applies */
            int a = f->af[ev->type];
            if (a >= 0)
                fd = &afields[a];
        } else switch (f->role) {
        case R_EVENT_ID: {
            const char *s;
            size_t sl;
            if (fp_string(&p, end, &s, &sl) || sl >= sizeof ev->event_id)
                return -1;
            fp_copy(ev->event_id, s, sl);
            ev->has |= DD_F_EVENT_ID;
            continue;
        }
        case R_TYPE: {
            int64_t k;
            if (fp_long(&p, end, &k) || k < 0 || k >= pl->n_sym ||
                pl->sym_type[k] == DD_EV_NONE)
                return -1;
            ev->type = pl->sym_type[k];
            continue;
        }
        case R_EVENT_TIME:
            if (fp_long(&p, end, &ev->event_time_ms))
                return -1;
            ev->has |= DD_F_EVENT_TIME;
            continue;
        default: /* R_SKIP */
            break;
        }
        /* fd NULL: skipped (reader lacks it, or it does not apply to the
         * type), but still read as strictly as a used value. */
        int64_t l;
        int32_t i32;
        const char *s;
        size_t sl;
        switch (leaf) {
        case W_NULL:
            continue; /* absent */
        case W_BOOL:
            if (p >= end || *p > 1)
                return -1;
            if (fd) {
                if (fd->kind != A_BOOL)
                    return -1;
                *(int *)(base + fd->off) = *p;
            }
            p++;
            break;
        case W_INT:
            if (fp_int(&p, end, &i32))
                return -1;
            if (fd) {
                if (fd->kind == A_DATE)
                    *(int32_t *)(base + fd->off) = i32;
                else if ((fd->kind == A_INT || fd->kind == A_MONTH_INT) && i32 >= -1000000 &&
                         i32 <= 1000000)
                    *(int *)(base + fd->off) = i32;
                else
                    return -1;
            }
            break;
        case W_LONG:
            if (fp_long(&p, end, &l))
                return -1;
            if (fd) {
                if (fd->kind != A_LONG && fd->kind != A_POINTS)
                    return -1;
                *(int64_t *)(base + fd->off) = l;
            }
            break;
        case W_STRING:
            if (fp_string(&p, end, &s, &sl))
                return -1;
            if (fd && fp_put_string(ev, fd, s, sl))
                return -1;
            break;
        case W_ARR_STR:
            if (fd && fd->kind != A_DXLIST && fd->kind != A_PROCLIST && fd->kind != A_ERRLIST)
                return -1;
            if (fp_list(&p, end, ev, fd))
                return -1;
            break;
        default:
            return -1;
        }
        if (fd)
            ev->has |= fd->bit;
    }
    return p == end ? 0 : -1;
}

int dd_avro_event_decode(dd_avro_event_codec *c, const void *buf, size_t len, dd_event *ev,
                         dd_event_error *err)
{
    if (c->fast && !fast_decode(c, buf, len, ev)) {
        c->n_fast++;
        return 0;
    }
    dd_event_clear(ev);
    avro_value_t *rec;
    dd_avro_error ae;
    if (dd_avro_decode(c->avro, buf, len, &rec, NULL, &ae)) {
        dd_event_error_set(err,
                           ae.code == DD_AVRO_ERR_UNKNOWN_SCHEMA ? DD_BAD_UNKNOWN_SCHEMA
                                                                 : DD_BAD_UNDECODABLE,
                           "%s", ae.msg);
        return -1;
    }
    avro_value_t f, v;
    const char *s;
    size_t sl;
    int sym;
    if (avro_value_get_by_name(rec, "type", &f, NULL) || avro_value_get_enum(&f, &sym)) {
        dd_event_error_set(err, DD_BAD_MISSING_FIELD, "type: missing");
        return -1;
    }
    const char *tname = avro_schema_enum_get(avro_value_get_schema(&f), sym);
    ev->type = tname ? dd_event_type_parse(tname, strlen(tname)) : DD_EV_NONE;
    if (ev->type == DD_EV_NONE) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type: '%.40s' is not an event type",
                           tname ? tname : "?");
        return -1;
    }
    if (avro_value_get_by_name(rec, "event_id", &f, NULL) || !present(&f, &v) ||
        get_str(&v, &s, &sl)) {
        dd_event_error_set(err, DD_BAD_MISSING_FIELD, "event_id: missing");
        return -1;
    }
    if (dd_event_set_string(ev->event_id, sizeof ev->event_id, "event_id", s, sl, err))
        return -1;
    ev->has |= DD_F_EVENT_ID;
    if (!avro_value_get_by_name(rec, "event_time", &f, NULL) && present(&f, &v)) {
        if (avro_value_get_type(&v) != AVRO_INT64 ||
            avro_value_get_long(&v, &ev->event_time_ms)) {
            dd_event_error_set(err, DD_BAD_TIME, "event_time: not a timestamp-millis long");
            return -1;
        }
        ev->has |= DD_F_EVENT_TIME;
    }
    unsigned tbit = T(ev->type);
    for (size_t i = 0; i < N_AFIELDS; i++) {
        const afield *fd = &afields[i];
        if (!(fd->types & tbit))
            continue; /* ignored for this type, as in JSON */
        if (avro_value_get_by_name(rec, fd->name, &f, NULL) || !present(&f, &v))
            continue; /* not in this schema, or null: absent */
        if (decode_field(ev, fd, &v, err))
            return -1;
        ev->has |= fd->bit;
    }
    return 0;
}
