/*
 * dd_avro_event — see dd_avro_event.h. One table of the SettlementEvent
 * fields drives both directions, so encode and decode cannot drift apart.
 */
#include "dd_avro_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct dd_avro_event_codec {
    dd_avro_codec *avro;
};

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
    return c;
}

void dd_avro_event_codec_destroy(dd_avro_event_codec *c)
{
    if (!c)
        return;
    dd_avro_codec_destroy(c->avro);
    free(c);
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

int dd_avro_event_decode(dd_avro_event_codec *c, const void *buf, size_t len, dd_event *ev,
                         dd_event_error *err)
{
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
