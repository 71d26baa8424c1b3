/*
 * dd_avro_out — see dd_avro_out.h. Field by field, in the order of the JSON
 * writers (dd_alert_to_json, dd_snapshot_to_json), so a reviewer can hold
 * the two side by side.
 */
#include "dd_avro_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dd_num.h"
#include "dd_points.h"
#include "dd_schemas.h"
#include "dd_time.h"

static int fail(dd_avro_error *err, dd_avro_code code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

dd_avro_codec *dd_avro_out_codec_new(const char *schema_name, dd_avro_error *err)
{
    const dd_schema_file *f = schema_name ? dd_schema_find(schema_name) : NULL;
    if (!f) {
        fail(err, DD_AVRO_ERR_SCHEMA, "no embedded schema %s", schema_name ? schema_name : "(null)");
        return NULL;
    }
    return dd_avro_codec_new(f->text, f->len, err);
}

/* Strict UTF-8 (no overlongs, surrogates or NUL): dd_avro_decode refuses
 * anything else, so we never write a message our own reader would reject
 * (e.g. an explanation cut in the middle of a character). */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (*p & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
    }
    return 1;
}

/* Encoding context: the first failure wins, later setters are no-ops. */
typedef struct {
    dd_avro_error *err;
    int failed;
} enc;

static int efail(enc *e, const char *field, int rc)
{
    if (!e->failed)
        fail(e->err, DD_AVRO_ERR_ENCODE, "%s: %s", field, rc ? avro_strerror() : "invalid");
    e->failed = 1;
    return -1;
}

static int field(enc *e, avro_value_t *rec, const char *name, avro_value_t *out)
{
    if (e->failed)
        return -1;
    int rc = avro_value_get_by_name(rec, name, out, NULL);
    return rc ? efail(e, name, rc) : 0;
}

static void set_str(enc *e, avro_value_t *rec, const char *name, const char *s)
{
    avro_value_t f;
    if (field(e, rec, name, &f))
        return;
    if (!utf8_ok(s)) {
        efail(e, name, 0);
        return;
    }
    int rc = avro_value_set_string(&f, s);
    if (rc)
        efail(e, name, rc);
}

/* ["null", "string"]: NULL selects the null branch. Branches are found by
 * type, not by position. */
static void set_opt_str(enc *e, avro_value_t *rec, const char *name, const char *s)
{
    avro_value_t f, b;
    if (field(e, rec, name, &f))
        return;
    avro_schema_t us = avro_value_get_schema(&f);
    if (!is_avro_union(us)) {
        efail(e, name, 0);
        return;
    }
    int want = -1;
    for (size_t i = 0; i < avro_schema_union_size(us); i++) {
        avro_schema_t bs = avro_schema_union_branch(us, (int)i);
        if (s ? is_avro_string(bs) : is_avro_null(bs))
            want = (int)i;
    }
    if (want < 0 || (s && !utf8_ok(s))) {
        efail(e, name, 0);
        return;
    }
    int rc = avro_value_set_branch(&f, want, &b);
    if (!rc)
        rc = s ? avro_value_set_string(&b, s) : avro_value_set_null(&b);
    if (rc)
        efail(e, name, rc);
}

static void set_long(enc *e, avro_value_t *rec, const char *name, int64_t v)
{
    avro_value_t f;
    if (field(e, rec, name, &f))
        return;
    int rc = avro_value_set_long(&f, v);
    if (rc)
        efail(e, name, rc);
}

static void set_dec(enc *e, avro_value_t *rec, const char *name, int64_t v, int scale)
{
    char b[40];
    dd_dec_format(b, sizeof b, v, scale);
    set_str(e, rec, name, b);
}

/* The codec's reader schema must be the record `name` of our schema files. */
static int check_schema(dd_avro_codec *c, const char *name, dd_avro_error *err)
{
    avro_schema_t s = c ? dd_avro_codec_schema(c) : NULL;
    if (!s || !is_avro_record(s) || strcmp(avro_schema_name(s), name))
        return fail(err, DD_AVRO_ERR_ENCODE, "codec schema is not cn.drgdip.%s", name);
    return 0;
}

int dd_avro_alert_encode(dd_avro_codec *c, const dd_alert *a, dd_avro_buf *out,
                         dd_avro_error *err)
{
    if (check_schema(c, "Alert", err))
        return -1;
    if ((int)a->type < 0 || a->type >= DD_ALERT__COUNT)
        return fail(err, DD_AVRO_ERR_ENCODE, "type: unknown alert type %d", (int)a->type);
    if (a->severity != DD_ALERT_WARN && a->severity != DD_ALERT_CRITICAL)
        return fail(err, DD_AVRO_ERR_ENCODE, "severity: unknown %d", (int)a->severity);
    enc e = {err, 0};
    avro_value_t *rec = dd_avro_codec_value(c);
    avro_value_t f;
    char b[16];
    set_str(&e, rec, "alert_id", a->alert_id);
    if (!field(&e, rec, "occurrence", &f)) {
        int rc = avro_value_set_int(&f, a->occurrence);
        if (rc)
            efail(&e, "occurrence", rc);
    }
    set_str(&e, rec, "type", dd_alert_type_name(a->type));
    set_str(&e, rec, "severity", dd_alert_severity_name(a->severity));
    set_str(&e, rec, "admdvs", a->admdvs);
    set_opt_str(&e, rec, "fixmedins_code", a->fixmedins_code[0] ? a->fixmedins_code : NULL);
    snprintf(b, sizeof b, "%d", a->insutype);
    set_opt_str(&e, rec, "insutype", a->insutype ? b : NULL);
    set_str(&e, rec, "period", a->period);
    set_str(&e, rec, "metric", a->metric ? a->metric : "");
    set_str(&e, rec, "value", a->value);
    set_str(&e, rec, "threshold", a->threshold);
    if (!field(&e, rec, "explanation", &f)) {
        set_str(&e, &f, "zh", a->explanation_zh);
        set_str(&e, &f, "en", a->explanation_en);
    }
    if (e.failed)
        return -1;
    return dd_avro_encode(c, rec, out, err);
}

static void snapshot_hospital(enc *e, avro_value_t *row, const dd_snapshot_hospital *h)
{
    static const char *const pending_names[4] = {"NO_LIST", "QC_FAILED", "NOT_RECONCILED",
                                                 "LATE_LIST"};
    avro_value_t f, m;
    set_str(e, row, "fixmedins_code", h->fixmedins_code);
    set_long(e, row, "eligible_cases", h->eligible_cases);
    if (!field(e, row, "pending_cases", &f))
        for (int k = 0; k < 4; k++)
            set_long(e, &f, pending_names[k], h->pending[k]);
    set_dec(e, row, "points", h->points_e4, 4);
    if (!field(e, row, "points_by_category", &f))
        for (int k = 0; k < DD_CAT__COUNT; k++)
            set_dec(e, &f, dd_category_name((dd_category)k), h->points_by_cat[k], 4);
    if (!field(e, row, "cases_by_category", &f)) {
        for (int k = 0; k < DD_CAT__COUNT && !e->failed; k++) {
            if (!h->cases_by_cat[k])
                continue;
            int rc = avro_value_add(&f, dd_category_name((dd_category)k), &m, NULL, NULL);
            if (!rc)
                rc = avro_value_set_long(&m, h->cases_by_cat[k]);
            if (rc)
                efail(e, "cases_by_category", rc);
        }
    }
    set_dec(e, row, "medfee", h->medfee_fen, 2);
    set_dec(e, row, "fund_amount", h->fund_fen, 2);
    set_dec(e, row, "psn_part", h->psn_part_fen, 2);
    set_dec(e, row, "retention", h->retention_fen, 2);
    set_dec(e, row, "payable", h->payable_fen, 2);
    set_dec(e, row, "settlement", h->settlement_fen, 2);
    set_dec(e, row, "fund_settlement", h->fund_settlement_fen, 2);
    set_dec(e, row, "profit_loss", h->profit_loss_fen, 2);
    set_dec(e, row, "cmi", h->cmi_e4, 4);
}

int dd_avro_snapshot_encode(dd_avro_codec *c, const dd_snapshot *s, dd_avro_buf *out,
                            dd_avro_error *err)
{
    if (check_schema(c, "Snapshot", err))
        return -1;
    enc e = {err, 0};
    avro_value_t *rec = dd_avro_codec_value(c);
    avro_value_t f, row;
    char b[16];
    set_str(&e, rec, "admdvs", s->admdvs);
    snprintf(b, sizeof b, "%d", s->insutype);
    set_str(&e, rec, "insutype", b);
    dd_time_format_month(s->month, b, sizeof b);
    set_str(&e, rec, "month", b);
    set_str(&e, rec, "kind", dd_snapshot_kind_name(s->kind));
    set_dec(&e, rec, "budget", s->budget_fen, 2);
    set_dec(&e, rec, "points", s->points_e4, 4);
    set_dec(&e, rec, "point_value", s->point_value_e6, 6);
    if (!field(&e, rec, "late_adjustments", &f)) {
        set_long(&e, &f, "cases", s->late_cases);
        set_dec(&e, &f, "points", s->late_points_e4, 4);
    }
    if (!field(&e, rec, "hospitals", &f)) {
        for (int i = 0; i < s->n_hospitals && !e.failed; i++) {
            int rc = avro_value_append(&f, &row, NULL);
            if (rc)
                efail(&e, "hospitals", rc);
            else
                snapshot_hospital(&e, &row, &s->hospitals[i]);
        }
    }
    if (e.failed)
        return -1;
    return dd_avro_encode(c, rec, out, err);
}

/* ---------------- decoded value -> JSON form ---------------- */

/* 1 when v is null or a union currently on its null branch. */
static int is_null_value(avro_value_t *v)
{
    avro_value_t b;
    if (avro_value_get_type(v) == AVRO_NULL)
        return 1;
    return avro_value_get_type(v) == AVRO_UNION && !avro_value_get_current_branch(v, &b) &&
           avro_value_get_type(&b) == AVRO_NULL;
}

static int to_json(avro_value_t *v, int omit_null, dd_jw *w, int depth)
{
    if (depth > 32)
        return -1;
    size_t n = 0;
    avro_value_t x;
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        dd_jw_null(w);
        return 0;
    case AVRO_BOOLEAN: {
        int b;
        if (avro_value_get_boolean(v, &b))
            return -1;
        dd_jw_bool(w, b);
        return 0;
    }
    case AVRO_INT32: {
        int32_t i;
        if (avro_value_get_int(v, &i))
            return -1;
        dd_jw_int(w, i);
        return 0;
    }
    case AVRO_INT64: {
        int64_t l;
        if (avro_value_get_long(v, &l))
            return -1;
        dd_jw_int(w, l);
        return 0;
    }
    case AVRO_STRING: {
        const char *s;
        if (avro_value_get_string(v, &s, &n))
            return -1;
        dd_jw_string_n(w, s, n ? n - 1 : 0); /* avro-c's size counts the NUL */
        return 0;
    }
    case AVRO_BYTES: {
        const void *p;
        if (avro_value_get_bytes(v, &p, &n))
            return -1;
        dd_jw_base64(w, p, n);
        return 0;
    }
    case AVRO_ENUM: {
        int i;
        const char *sym;
        if (avro_value_get_enum(v, &i) ||
            !(sym = avro_schema_enum_get(avro_value_get_schema(v), i)))
            return -1;
        dd_jw_string(w, sym);
        return 0;
    }
    case AVRO_UNION:
        if (avro_value_get_current_branch(v, &x))
            return -1;
        return to_json(&x, omit_null, w, depth + 1);
    case AVRO_RECORD:
    case AVRO_MAP:
        if (avro_value_get_size(v, &n))
            return -1;
        dd_jw_object_begin(w);
        for (size_t i = 0; i < n; i++) {
            const char *name;
            if (avro_value_get_by_index(v, i, &x, &name))
                return -1;
            if (omit_null && avro_value_get_type(v) == AVRO_RECORD && is_null_value(&x))
                continue;
            dd_jw_key(w, name);
            if (to_json(&x, omit_null, w, depth + 1))
                return -1;
        }
        dd_jw_object_end(w);
        return 0;
    case AVRO_ARRAY:
        if (avro_value_get_size(v, &n))
            return -1;
        dd_jw_array_begin(w);
        for (size_t i = 0; i < n; i++) {
            if (avro_value_get_by_index(v, i, &x, NULL) || to_json(&x, omit_null, w, depth + 1))
                return -1;
        }
        dd_jw_array_end(w);
        return 0;
    default: /* float, double, fixed, link: not in our schemas */
        return -1;
    }
}

int dd_avro_out_to_json(const avro_value_t *v, int omit_null, dd_jw *w)
{
    avro_value_t x = *v; /* avro-c's accessors take non-const values */
    return to_json(&x, omit_null, w, 0);
}
