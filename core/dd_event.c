/*
 * dd_event — see dd_event.h. The JSON decoder walks the object's members
 * once and dispatches on the member name; fields that do not belong to the
 * event's type are ignored (forward compatibility), null means absent.
 * Plain texts (the usual producer output) take a one-pass path without a
 * tree (fp_decode); everything else, and every error, goes through the
 * reference tree decoder, so reasons and details never differ (test 0037).
 */
#include "dd_event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dd_hash.h"
#include "dd_num.h"
#include "dd_time.h"

static const char *const type_names[DD_EV__COUNT] = {
    "NONE",       "SETTLEMENT", "SETTLEMENT_REVERSAL", "SETTLEMENT_LIST", "QC_RESULT",
    "RECONCILED", "SPECIAL_CASE", "BUDGET",            "MONTH_CLOSE"};

static const char *const reason_names[DD_BAD__COUNT] = {
    "OK",          "BAD_JSON",         "UNDECODABLE",      "UNKNOWN_SCHEMA",
    "UNKNOWN_TYPE", "MISSING_FIELD",   "BAD_FIELD",        "BAD_TIME",
    "BAD_AMOUNT",  "TOO_MANY_ENTRIES", "UNKNOWN_REGION",   "UNKNOWN_HOSPITAL",
    "HOSPITAL_REGION_MISMATCH",        "DATES_OUT_OF_ORDER", "UNKNOWN_BEDDAY_GROUP",
    "BAD_SPECIAL_CASE"};

const char *dd_event_type_name(dd_event_type t)
{
    return t >= 0 && t < DD_EV__COUNT ? type_names[t] : "NONE";
}

dd_event_type dd_event_type_parse(const char *s, size_t len)
{
    for (int t = 1; t < DD_EV__COUNT; t++)
        if (strlen(type_names[t]) == len && !memcmp(type_names[t], s, len))
            return (dd_event_type)t;
    return DD_EV_NONE;
}

const char *dd_bad_reason_name(dd_bad_reason r)
{
    return r >= 0 && r < DD_BAD__COUNT ? reason_names[r] : "UNKNOWN";
}

const char *dd_pay_method_name(dd_pay_method m)
{
    switch (m) {
    case DD_PAY_BED_DAY: return "BED_DAY";
    case DD_PAY_FFS: return "FFS";
    default: return "SCHEME";
    }
}

const char *dd_special_status_name(dd_special_status s)
{
    switch (s) {
    case DD_SPECIAL_APPLIED: return "APPLIED";
    case DD_SPECIAL_APPROVED: return "APPROVED";
    case DD_SPECIAL_REJECTED: return "REJECTED";
    default: return "NONE";
    }
}

int dd_event_is_case_event(dd_event_type t)
{
    return t == DD_EV_SETTLEMENT || t == DD_EV_SETTLEMENT_REVERSAL ||
           t == DD_EV_SETTLEMENT_LIST || t == DD_EV_QC_RESULT || t == DD_EV_RECONCILED ||
           t == DD_EV_SPECIAL_CASE;
}

void dd_event_error_set(dd_event_error *err, dd_bad_reason r, const char *fmt, ...)
{
    if (!err)
        return;
    err->reason = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

void dd_event_clear(dd_event *ev)
{
    /* Only the scalar head is reset: arrays are guarded by their counts. */
    ev->type = DD_EV_NONE;
    ev->has = 0;
    ev->event_id[0] = ev->admdvs[0] = ev->fixmedins_code[0] = ev->setl_id[0] = '\0';
    ev->event_time_ms = 0;
    ev->mdtrt_id[0] = ev->psn_no[0] = ev->insuplc_admdvs[0] = '\0';
    ev->insutype = 0;
    ev->begndate = ev->enddate = 0;
    ev->setl_time_ms = 0;
    ev->medfee_fen = ev->fund_fen = ev->psn_part_fen = ev->acct_pay_fen = 0;
    ev->pay_method = DD_PAY_SCHEME;
    ev->bed_day_group[0] = '\0';
    ev->gend = ev->age = ev->age_days = ev->nwb_bir_wt = ev->ipt_days = ev->dscg_way = -1;
    ev->main_dx[0] = '\0';
    ev->n_other_dx = ev->n_procedures = 0;
    ev->passed = 0;
    ev->n_errors = 0;
    ev->errors_len = 0;
    ev->status = DD_SPECIAL_NONE;
    ev->points_e4 = 0;
    ev->pay_as_ffs = 0;
    ev->year = 0;
    ev->month = 0;
    ev->amount_fen = 0;
    ev->close_month = 0;
}

/* ---- helpers shared with other decoders ---- */

int dd_event_set_string(char *dst, size_t cap, const char *field, const char *s, size_t len,
                        dd_event_error *err)
{
    if (len >= cap) {
        dd_event_error_set(err, DD_BAD_FIELD, "%s: longer than %zu characters", field, cap - 1);
        return -1;
    }
    if (memchr(s, '\0', len)) {
        dd_event_error_set(err, DD_BAD_FIELD, "%s: contains a NUL character", field);
        return -1;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

int dd_event_add_other_dx(dd_event *ev, const char *s, size_t len, dd_event_error *err)
{
    if (ev->n_other_dx >= DD_EVENT_MAX_DX) {
        dd_event_error_set(err, DD_BAD_TOO_MANY_ENTRIES, "other_dx: more than %d entries",
                           DD_EVENT_MAX_DX);
        return -1;
    }
    if (dd_event_set_string(ev->other_dx[ev->n_other_dx], DD_DX_MAX + 1, "other_dx", s, len, err))
        return -1;
    ev->n_other_dx++;
    return 0;
}

int dd_event_add_procedure(dd_event *ev, const char *s, size_t len, dd_event_error *err)
{
    if (ev->n_procedures >= DD_EVENT_MAX_PROC) {
        dd_event_error_set(err, DD_BAD_TOO_MANY_ENTRIES, "procedures: more than %d entries",
                           DD_EVENT_MAX_PROC);
        return -1;
    }
    if (dd_event_set_string(ev->procedures[ev->n_procedures], DD_DX_MAX + 1, "procedures", s, len,
                            err))
        return -1;
    ev->n_procedures++;
    return 0;
}

int dd_event_add_error(dd_event *ev, const char *s, size_t len, dd_event_error *err)
{
    if (ev->n_errors >= DD_EVENT_MAX_ERRORS) {
        dd_event_error_set(err, DD_BAD_TOO_MANY_ENTRIES, "errors: more than %d entries",
                           DD_EVENT_MAX_ERRORS);
        return -1;
    }
    if ((size_t)ev->errors_len + len + 1 > DD_EVENT_ERRORS_TEXT) {
        dd_event_error_set(err, DD_BAD_TOO_MANY_ENTRIES, "errors: more than %d bytes of text",
                           DD_EVENT_ERRORS_TEXT);
        return -1;
    }
    if (memchr(s, '\0', len)) {
        dd_event_error_set(err, DD_BAD_FIELD, "errors: contains a NUL character");
        return -1;
    }
    ev->error_off[ev->n_errors++] = ev->errors_len;
    memcpy(ev->errors_text + ev->errors_len, s, len);
    ev->errors_len = (uint16_t)(ev->errors_len + len);
    ev->errors_text[ev->errors_len++] = '\0';
    return 0;
}

const char *dd_event_error_at(const dd_event *ev, int i)
{
    return i >= 0 && i < ev->n_errors ? ev->errors_text + ev->error_off[i] : NULL;
}

int dd_event_parse_amount(const char *s, size_t len, int64_t *fen)
{
    size_t i = 0;
    int64_t v = 0;
    if (!len)
        return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (i >= 16) /* 10^16 fen is far beyond every bound: refuse early */
            return -1;
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0)
        return -1;
    int dec = 0;
    if (i < len) {
        if (s[i] != '.')
            return -1;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9' && dec < 3) {
            v = v * 10 + (s[i] - '0');
            dec++;
            i++;
        }
        if (dec == 0 || dec > 2 || i != len)
            return -1;
    }
    while (dec < 2) {
        v *= 10;
        dec++;
    }
    *fen = v;
    return 0;
}

/* ---- times and dates ----
 * The canonical shapes "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM:SS+08:00" (any
 * +-HH:MM offset) are parsed here without the general parser's loops;
 * anything else, or any value the fast path would have to judge (a day
 * after the 28th, an hour over 23, ...), goes to dd_time_parse_date /
 * dd_time_parse_iso_ms, so the results and the errors are theirs. */

static inline int dig2(const char *s, int *v)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    *v = (int)(a * 10 + b);
    return a <= 9 && b <= 9;
}

/* 1 with y/m/d set when s is a plain valid date with day <= 28. */
static inline int fast_ymd(const char *s, int *y, int *m, int *d)
{
    int c, yy;
    if (s[4] != '-' || s[7] != '-' || !dig2(s, &c) || !dig2(s + 2, &yy) || !dig2(s + 5, m) ||
        !dig2(s + 8, d))
        return 0;
    *y = c * 100 + yy;
    return *y >= 1900 && *y <= 2999 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= 28;
}

static int parse_date_fast(const char *s, size_t len, int32_t *days)
{
    int y, m, d;
    if (len == 10 && fast_ymd(s, &y, &m, &d)) {
        *days = dd_days_from_civil(y, m, d);
        return 0;
    }
    return dd_time_parse_date(s, len, days);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define B8(x) (UINT64_C(0x0101010101010101) * (x))
/* The bytes of w under mask m (0xFF per byte) are all ASCII digits. */
static inline int swar_digits(uint64_t w, uint64_t m)
{
    uint64_t a = w & m;
    return (a & (B8(0xF0) & m)) == (B8(0x30) & m) &&
           ((a + (B8(0x06) & m)) & (B8(0xF0) & m)) == (B8(0x30) & m);
}

/* The shape of "YYYY-MM-DDTHH:MM:SS?HH:MM" in three words and a byte:
 * digits where the masks say, the separators elsewhere (the offset sign
 * at byte 19 is checked apart). */
static inline int iso_shape(const char *s)
{
    uint64_t w0, w1, w2;
    memcpy(&w0, s, 8);
    memcpy(&w1, s + 8, 8);
    memcpy(&w2, s + 16, 8);
    const uint64_t m0 = UINT64_C(0x00FFFF00FFFFFFFF); /* YYYY-MM- */
    const uint64_t m1 = UINT64_C(0xFFFF00FFFF00FFFF); /* DDTHH:MM */
    const uint64_t m2 = UINT64_C(0xFF00FFFF00FFFF00); /* :SS?HH:M (? = byte 3) */
    const uint64_t sep0 = (uint64_t)'-' << 32 | (uint64_t)'-' << 56;
    const uint64_t sep1 = (uint64_t)'T' << 16 | (uint64_t)':' << 40;
    const uint64_t sep2 = (uint64_t)':' | (uint64_t)':' << 48;
    const uint64_t m2s = ~m2 & ~(UINT64_C(0xFF) << 24);
    return swar_digits(w0, m0) && swar_digits(w1, m1) && swar_digits(w2, m2) &&
           (w0 & ~m0) == sep0 && (w1 & ~m1) == sep1 && (w2 & m2s) == sep2 &&
           (unsigned)(unsigned char)s[24] - '0' <= 9;
}
#undef B8
#else
static inline int iso_shape(const char *s)
{
    int v;
    return s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
           s[22] == ':' && dig2(s, &v) && dig2(s + 2, &v) && dig2(s + 5, &v) && dig2(s + 8, &v) &&
           dig2(s + 11, &v) && dig2(s + 14, &v) && dig2(s + 17, &v) && dig2(s + 20, &v) &&
           dig2(s + 23, &v);
}
#endif

#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))

static int parse_iso_ms_fast(const char *s, size_t len, int64_t *ms)
{
    if (len == 25 && (s[19] == '+' || s[19] == '-') && iso_shape(s)) {
        int y = D2(s) * 100 + D2(s + 2), mo = D2(s + 5), d = D2(s + 8), hh = D2(s + 11),
            mi = D2(s + 14), ss = D2(s + 17), oh = D2(s + 20), om = D2(s + 23);
        if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > 28 || hh > 23 || mi > 59 ||
            ss > 59 || oh > 14 || om > 59)
            return dd_time_parse_iso_ms(s, len, ms);
        int off_s = (oh * 3600 + om * 60) * (s[19] == '-' ? -1 : 1);
        int64_t secs =
            (int64_t)dd_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off_s;
        *ms = secs * 1000;
        return 0;
    }
    return dd_time_parse_iso_ms(s, len, ms);
}
#undef D2

/* ---- JSON decoding ---- */

enum fkind {
    K_STR,      /* inline string */
    K_TIME,     /* ISO-8601 with offset -> ms */
    K_DATE,     /* YYYY-MM-DD */
    K_AMOUNT,   /* yuan, 2 decimals -> fen */
    K_INT,      /* integer (number or digit string) */
    K_DIGIT,    /* one digit (string or number) */
    K_INSUTYPE, /* integer code (string or number) */
    K_BOOL,
    K_DXLIST,
    K_PROCLIST,
    K_ERRLIST,
    K_STATUS,
    K_POINTS,
    K_PAYMETHOD,
    K_MONTHSTR
};

#define T_ALL 0x1FEu
#define T(x) (1u << (x))
#define T_CASE                                                                                     \
    (T(DD_EV_SETTLEMENT) | T(DD_EV_SETTLEMENT_REVERSAL) | T(DD_EV_SETTLEMENT_LIST) |               \
     T(DD_EV_QC_RESULT) | T(DD_EV_RECONCILED) | T(DD_EV_SPECIAL_CASE))

typedef struct {
    const char *name;
    uint8_t name_len; /* strlen(name): the per-member scan compares it first */
    enum fkind kind;
    unsigned types;
    uint64_t bit;
    size_t off; /* offset in dd_event of the destination */
    size_t cap; /* K_STR capacity */
} field_def;

#define OFF(f) offsetof(dd_event, f)
#define CAP(f) sizeof(((dd_event *)0)->f)

enum {
    FI_EVENT_ID,
    FI_EVENT_TIME,
    FI_ADMDVS,
    FI_FIXMEDINS_CODE,
    FI_SETL_ID,
    FI_MDTRT_ID,
    FI_PSN_NO,
    FI_INSUTYPE,
    FI_INSUPLC_ADMDVS,
    FI_BEGNDATE,
    FI_ENDDATE,
    FI_SETL_TIME,
    FI_MEDFEE_SUMAMT,
    FI_FUND_PAY_SUMAMT,
    FI_PSN_PART_AMT,
    FI_ACCT_PAY,
    FI_PAY_METHOD,
    FI_BED_DAY_GROUP,
    FI_GEND,
    FI_AGE,
    FI_AGE_DAYS,
    FI_NWB_BIR_WT,
    FI_IPT_DAYS,
    FI_DSCG_WAY,
    FI_MAIN_DX,
    FI_OTHER_DX,
    FI_PROCEDURES,
    FI_PASSED,
    FI_ERRORS,
    FI_STATUS,
    FI_POINTS,
    FI_PAY_AS_FFS,
    FI_YEAR,
    FI_MONTH,
    FI_AMOUNT,
    FI_CLOSE_MONTH,
    FI__COUNT
};

static const field_def fields[] = {
    [FI_EVENT_ID] = {"event_id", 8, K_STR, T_ALL, DD_F_EVENT_ID, OFF(event_id), CAP(event_id)},
    [FI_EVENT_TIME] = {"event_time", 10, K_TIME, T_ALL, DD_F_EVENT_TIME, OFF(event_time_ms), 0},
    [FI_ADMDVS] = {"admdvs", 6, K_STR, T_ALL, DD_F_ADMDVS, OFF(admdvs), CAP(admdvs)},
    [FI_FIXMEDINS_CODE] = {"fixmedins_code", 14, K_STR, T_ALL,
     DD_F_FIXMEDINS, OFF(fixmedins_code), CAP(fixmedins_code)},
    [FI_SETL_ID] = {"setl_id", 7, K_STR, T_CASE, DD_F_SETL_ID, OFF(setl_id), CAP(setl_id)},
    [FI_MDTRT_ID] = {"mdtrt_id", 8, K_STR, T(DD_EV_SETTLEMENT),
     DD_F_MDTRT_ID, OFF(mdtrt_id), CAP(mdtrt_id)},
    [FI_PSN_NO] = {"psn_no", 6, K_STR, T(DD_EV_SETTLEMENT), DD_F_PSN_NO, OFF(psn_no), CAP(psn_no)},
    [FI_INSUTYPE] = {"insutype", 8, K_INSUTYPE,
     T(DD_EV_SETTLEMENT) | T(DD_EV_BUDGET) | T(DD_EV_MONTH_CLOSE), DD_F_INSUTYPE, OFF(insutype), 0},
    [FI_INSUPLC_ADMDVS] = {"insuplc_admdvs", 14, K_STR, T(DD_EV_SETTLEMENT),
     DD_F_INSUPLC, OFF(insuplc_admdvs), CAP(insuplc_admdvs)},
    [FI_BEGNDATE] = {"begndate", 8, K_DATE, T(DD_EV_SETTLEMENT), DD_F_BEGNDATE, OFF(begndate), 0},
    [FI_ENDDATE] = {"enddate", 7, K_DATE, T(DD_EV_SETTLEMENT), DD_F_ENDDATE, OFF(enddate), 0},
    [FI_SETL_TIME] = {"setl_time", 9, K_TIME, T(DD_EV_SETTLEMENT),
     DD_F_SETL_TIME, OFF(setl_time_ms), 0},
    [FI_MEDFEE_SUMAMT] = {"medfee_sumamt", 13, K_AMOUNT, T(DD_EV_SETTLEMENT),
     DD_F_MEDFEE, OFF(medfee_fen), 0},
    [FI_FUND_PAY_SUMAMT] = {"fund_pay_sumamt", 15, K_AMOUNT, T(DD_EV_SETTLEMENT),
     DD_F_FUND, OFF(fund_fen), 0},
    [FI_PSN_PART_AMT] = {"psn_part_amt", 12, K_AMOUNT, T(DD_EV_SETTLEMENT),
     DD_F_PSN_PART, OFF(psn_part_fen), 0},
    [FI_ACCT_PAY] = {"acct_pay", 8, K_AMOUNT, T(DD_EV_SETTLEMENT),
     DD_F_ACCT_PAY, OFF(acct_pay_fen), 0},
    [FI_PAY_METHOD] = {"pay_method", 10, K_PAYMETHOD, T(DD_EV_SETTLEMENT),
     DD_F_PAY_METHOD, OFF(pay_method), 0},
    [FI_BED_DAY_GROUP] = {"bed_day_group", 13, K_STR, T(DD_EV_SETTLEMENT),
     DD_F_BED_DAY_GROUP, OFF(bed_day_group), CAP(bed_day_group)},
    [FI_GEND] = {"gend", 4, K_DIGIT, T(DD_EV_SETTLEMENT_LIST), DD_F_GEND, OFF(gend), 0},
    [FI_AGE] = {"age", 3, K_INT, T(DD_EV_SETTLEMENT_LIST), DD_F_AGE, OFF(age), 0},
    [FI_AGE_DAYS] = {"age_days", 8, K_INT, T(DD_EV_SETTLEMENT_LIST),
     DD_F_AGE_DAYS, OFF(age_days), 0},
    [FI_NWB_BIR_WT] = {"nwb_bir_wt", 10, K_INT, T(DD_EV_SETTLEMENT_LIST),
     DD_F_NWB_BIR_WT, OFF(nwb_bir_wt), 0},
    [FI_IPT_DAYS] = {"ipt_days", 8, K_INT, T(DD_EV_SETTLEMENT_LIST),
     DD_F_IPT_DAYS, OFF(ipt_days), 0},
    [FI_DSCG_WAY] = {"dscg_way", 8, K_INT, T(DD_EV_SETTLEMENT_LIST),
     DD_F_DSCG_WAY, OFF(dscg_way), 0},
    [FI_MAIN_DX] = {"main_dx", 7, K_STR, T(DD_EV_SETTLEMENT_LIST),
     DD_F_MAIN_DX, OFF(main_dx), CAP(main_dx)},
    [FI_OTHER_DX] = {"other_dx", 8, K_DXLIST, T(DD_EV_SETTLEMENT_LIST), DD_F_OTHER_DX, 0, 0},
    [FI_PROCEDURES] = {"procedures", 10, K_PROCLIST, T(DD_EV_SETTLEMENT_LIST),
     DD_F_PROCEDURES, 0, 0},
    [FI_PASSED] = {"passed", 6, K_BOOL, T(DD_EV_QC_RESULT), DD_F_PASSED, OFF(passed), 0},
    [FI_ERRORS] = {"errors", 6, K_ERRLIST, T(DD_EV_QC_RESULT), DD_F_ERRORS, 0, 0},
    [FI_STATUS] = {"status", 6, K_STATUS, T(DD_EV_SPECIAL_CASE), DD_F_STATUS, OFF(status), 0},
    [FI_POINTS] = {"points", 6, K_POINTS, T(DD_EV_SPECIAL_CASE), DD_F_POINTS, OFF(points_e4), 0},
    [FI_PAY_AS_FFS] = {"pay_as_ffs", 10, K_BOOL, T(DD_EV_SPECIAL_CASE),
     DD_F_PAY_AS_FFS, OFF(pay_as_ffs), 0},
    [FI_YEAR] = {"year", 4, K_INT, T(DD_EV_BUDGET), DD_F_YEAR, OFF(year), 0},
    [FI_MONTH] = {"month", 5, K_INT, T(DD_EV_BUDGET), DD_F_MONTH, OFF(month), 0},
    [FI_AMOUNT] = {"amount", 6, K_AMOUNT, T(DD_EV_BUDGET), DD_F_AMOUNT, OFF(amount_fen), 0},
    [FI_CLOSE_MONTH] = {"month", 5, K_MONTHSTR, T(DD_EV_MONTH_CLOSE),
     DD_F_CLOSE_MONTH, OFF(close_month), 0},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])
_Static_assert(N_FIELDS == FI__COUNT, "fields[] and its index enum disagree");

/* Candidates by member-name length (field index + 1, 0 ends a row). */
#define FIELD_NAME_MAX 15
static const uint8_t fields_by_len[FIELD_NAME_MAX + 1][10] = {
    [3] = {FI_AGE + 1},
    [4] = {FI_GEND + 1, FI_YEAR + 1},
    [5] = {FI_MONTH + 1, FI_CLOSE_MONTH + 1},
    [6] = {FI_ADMDVS + 1, FI_PSN_NO + 1, FI_PASSED + 1, FI_ERRORS + 1, FI_STATUS + 1,
           FI_POINTS + 1, FI_AMOUNT + 1},
    [7] = {FI_SETL_ID + 1, FI_ENDDATE + 1, FI_MAIN_DX + 1},
    [8] = {FI_EVENT_ID + 1, FI_MDTRT_ID + 1, FI_INSUTYPE + 1, FI_BEGNDATE + 1, FI_ACCT_PAY + 1,
           FI_AGE_DAYS + 1, FI_IPT_DAYS + 1, FI_DSCG_WAY + 1, FI_OTHER_DX + 1},
    [9] = {FI_SETL_TIME + 1},
    [10] = {FI_EVENT_TIME + 1, FI_PAY_METHOD + 1, FI_NWB_BIR_WT + 1, FI_PROCEDURES + 1,
           FI_PAY_AS_FFS + 1},
    [12] = {FI_PSN_PART_AMT + 1},
    [13] = {FI_MEDFEE_SUMAMT + 1, FI_BED_DAY_GROUP + 1},
    [14] = {FI_FIXMEDINS_CODE + 1, FI_INSUPLC_ADMDVS + 1},
    [15] = {FI_FUND_PAY_SUMAMT + 1},
};

/* The field named key[0..n) that the event type `tbit` reads, or NULL. */
static inline const field_def *field_find(const char *key, size_t n, unsigned tbit)
{
    if (n > FIELD_NAME_MAX)
        return NULL;
    for (const uint8_t *c = fields_by_len[n]; *c; c++) {
        const field_def *fd = &fields[*c - 1];
        if ((fd->types & tbit) && fd->name[0] == key[0] && fd->name[n - 1] == key[n - 1] &&
            !memcmp(fd->name, key, n))
            return fd;
    }
    return NULL;
}

/* k[0..n) == lit[0..n) for a literal of n >= 3 bytes: two overlapping
 * loads per side, folded to constants for the literal. */
static inline __attribute__((always_inline)) int key_eq(const char *k, const char *lit, size_t n)
{
    if (n >= 8) {
        uint64_t a, b, c, d;
        memcpy(&a, k, 8);
        memcpy(&b, k + n - 8, 8);
        memcpy(&c, lit, 8);
        memcpy(&d, lit + n - 8, 8);
        return a == c && b == d;
    }
    if (n >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, k, 4);
        memcpy(&b, k + n - 4, 4);
        memcpy(&c, lit, 4);
        memcpy(&d, lit + n - 4, 4);
        return a == c && b == d;
    }
    return !memcmp(k, lit, n);
}

/* field_find for the one-pass decoder: a switch on the length and one
 * character, then one compare of constant length (which the compiler turns
 * into a few word compares instead of a loop of memcmp calls). Same answer
 * as field_find (test 0037 compares the decoders on many texts). */
static inline __attribute__((always_inline)) const field_def *
field_find_fast(const char *k, size_t n, unsigned tbit)
{
    int fi = -1;
#define FF(name, idx)                                                                              \
    do {                                                                                           \
        if (key_eq(k, name, sizeof name - 1))                                                      \
            fi = (idx);                                                                            \
    } while (0)
    switch (n) {
    case 3: FF("age", FI_AGE); break;
    case 4:
        if (k[0] == 'g') FF("gend", FI_GEND);
        else FF("year", FI_YEAR);
        break;
    case 5:
        if (key_eq(k, "month", 5))
            return (tbit & T(DD_EV_MONTH_CLOSE)) ? &fields[FI_CLOSE_MONTH]
                   : (fields[FI_MONTH].types & tbit) ? &fields[FI_MONTH] : NULL;
        return NULL;
    case 6:
        switch (k[1]) {
        case 'd': FF("admdvs", FI_ADMDVS); break;
        case 's': FF("psn_no", FI_PSN_NO); break;
        case 'a': FF("passed", FI_PASSED); break;
        case 'r': FF("errors", FI_ERRORS); break;
        case 't': FF("status", FI_STATUS); break;
        case 'o': FF("points", FI_POINTS); break;
        case 'm': FF("amount", FI_AMOUNT); break;
        }
        break;
    case 7:
        switch (k[0]) {
        case 's': FF("setl_id", FI_SETL_ID); break;
        case 'e': FF("enddate", FI_ENDDATE); break;
        case 'm': FF("main_dx", FI_MAIN_DX); break;
        }
        break;
    case 8:
        switch (k[0]) {
        case 'e': FF("event_id", FI_EVENT_ID); break;
        case 'm': FF("mdtrt_id", FI_MDTRT_ID); break;
        case 'i':
            if (k[1] == 'n') FF("insutype", FI_INSUTYPE);
            else FF("ipt_days", FI_IPT_DAYS);
            break;
        case 'b': FF("begndate", FI_BEGNDATE); break;
        case 'a':
            if (k[1] == 'c') FF("acct_pay", FI_ACCT_PAY);
            else FF("age_days", FI_AGE_DAYS);
            break;
        case 'd': FF("dscg_way", FI_DSCG_WAY); break;
        case 'o': FF("other_dx", FI_OTHER_DX); break;
        }
        break;
    case 9: FF("setl_time", FI_SETL_TIME); break;
    case 10:
        switch (k[0]) {
        case 'e': FF("event_time", FI_EVENT_TIME); break;
        case 'p':
            if (k[1] == 'r') FF("procedures", FI_PROCEDURES);
            else if (k[4] == 'm') FF("pay_method", FI_PAY_METHOD);
            else FF("pay_as_ffs", FI_PAY_AS_FFS);
            break;
        case 'n': FF("nwb_bir_wt", FI_NWB_BIR_WT); break;
        }
        break;
    case 12: FF("psn_part_amt", FI_PSN_PART_AMT); break;
    case 13:
        if (k[0] == 'm') FF("medfee_sumamt", FI_MEDFEE_SUMAMT);
        else FF("bed_day_group", FI_BED_DAY_GROUP);
        break;
    case 14:
        if (k[0] == 'f') FF("fixmedins_code", FI_FIXMEDINS_CODE);
        else FF("insuplc_admdvs", FI_INSUPLC_ADMDVS);
        break;
    case 15: FF("fund_pay_sumamt", FI_FUND_PAY_SUMAMT); break;
    default: break;
    }
#undef FF
    if (fi < 0 || !(fields[fi].types & tbit))
        return NULL;
    return &fields[fi];
}

static const char *jtype_name(dd_json_type t)
{
    switch (t) {
    case DD_JSON_NULL: return "null";
    case DD_JSON_TRUE:
    case DD_JSON_FALSE: return "a boolean";
    case DD_JSON_NUMBER: return "a number";
    case DD_JSON_STRING: return "a string";
    case DD_JSON_ARRAY: return "an array";
    default: return "an object";
    }
}

/* Integer from a JSON number without fraction/exponent, or a digit string. */
static int json_small_int(const dd_json_value *v, int64_t *out)
{
    if (v->type == DD_JSON_NUMBER)
        return dd_json_int(v, out);
    if (v->type == DD_JSON_STRING) {
        if (!v->len || v->len > 18)
            return -1;
        int64_t x = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->str[i] < '0' || v->str[i] > '9')
                return -1;
            x = x * 10 + (v->str[i] - '0');
        }
        *out = x;
        return 0;
    }
    return -1;
}

static int decode_list(dd_event *ev, const dd_json_value *v, const char *name, enum fkind k,
                       dd_event_error *err)
{
    if (v->type != DD_JSON_ARRAY) {
        dd_event_error_set(err, DD_BAD_FIELD, "%s: must be an array of strings, not %s", name,
                           jtype_name(v->type));
        return -1;
    }
    for (const dd_json_value *e = dd_json_first(v); e; e = dd_json_next(e, v)) {
        if (e->type != DD_JSON_STRING) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: entries must be strings, not %s", name,
                               jtype_name(e->type));
            return -1;
        }
        int rc = k == K_DXLIST     ? dd_event_add_other_dx(ev, e->str, e->len, err)
                 : k == K_PROCLIST ? dd_event_add_procedure(ev, e->str, e->len, err)
                                   : dd_event_add_error(ev, e->str, e->len, err);
        if (rc)
            return -1;
    }
    return 0;
}

static int decode_field(dd_event *ev, const field_def *fd, const dd_json_value *v,
                        dd_event_error *err)
{
    char *base = (char *)ev;
    int64_t iv;
    switch (fd->kind) {
    case K_STR:
        if (v->type != DD_JSON_STRING) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be a string, not %s", fd->name,
                               jtype_name(v->type));
            return -1;
        }
        return dd_event_set_string(base + fd->off, fd->cap, fd->name, v->str, v->len, err);
    case K_TIME:
        if (v->type != DD_JSON_STRING ||
            parse_iso_ms_fast(v->str, v->len, (int64_t *)(base + fd->off))) {
            dd_event_error_set(err, DD_BAD_TIME,
                               "%s: not an ISO-8601 time with UTC offset "
                               "(YYYY-MM-DDTHH:MM:SS+08:00)",
                               fd->name);
            return -1;
        }
        return 0;
    case K_DATE:
        if (v->type != DD_JSON_STRING ||
            parse_date_fast(v->str, v->len, (int32_t *)(base + fd->off))) {
            dd_event_error_set(err, DD_BAD_TIME, "%s: not a date YYYY-MM-DD", fd->name);
            return -1;
        }
        return 0;
    case K_AMOUNT:
        if ((v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER) ||
            dd_event_parse_amount(v->str, v->len, (int64_t *)(base + fd->off))) {
            const char *why = "not an amount";
            if (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) {
                const char *dot = memchr(v->str, '.', v->len);
                if (v->len && v->str[0] == '-')
                    why = "negative";
                else if (memchr(v->str, 'e', v->len) || memchr(v->str, 'E', v->len))
                    why = "exponent not allowed";
                else if (dot && v->len - (size_t)(dot - v->str) - 1 > 2)
                    why = "more than two decimals";
            }
            dd_event_error_set(err, DD_BAD_AMOUNT, "%s: %s (yuan, at most two decimals)",
                               fd->name, why);
            return -1;
        }
        return 0;
    case K_INT:
        if (json_small_int(v, &iv) || iv < -1000000 || iv > 1000000) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be an integer", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = (int)iv;
        return 0;
    case K_DIGIT:
        if (!((v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) && v->len == 1 &&
              v->str[0] >= '0' && v->str[0] <= '9')) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be a single digit", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = v->str[0] - '0';
        return 0;
    case K_INSUTYPE:
        if (json_small_int(v, &iv) || iv > 999999) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be 310 or 390", fd->name);
            return -1;
        }
        *(int *)(base + fd->off) = (int)iv;
        return 0;
    case K_BOOL:
        if (v->type != DD_JSON_TRUE && v->type != DD_JSON_FALSE) {
            dd_event_error_set(err, DD_BAD_FIELD, "%s: must be true or false, not %s", fd->name,
                               jtype_name(v->type));
            return -1;
        }
        *(int *)(base + fd->off) = v->type == DD_JSON_TRUE;
        return 0;
    case K_DXLIST:
    case K_PROCLIST:
    case K_ERRLIST:
        return decode_list(ev, v, fd->name, fd->kind, err);
    case K_STATUS:
        if (v->type == DD_JSON_STRING && !strcmp(v->str, "APPLIED"))
            ev->status = DD_SPECIAL_APPLIED;
        else if (v->type == DD_JSON_STRING && !strcmp(v->str, "APPROVED"))
            ev->status = DD_SPECIAL_APPROVED;
        else if (v->type == DD_JSON_STRING && !strcmp(v->str, "REJECTED"))
            ev->status = DD_SPECIAL_REJECTED;
        else {
            dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                               "status: must be APPLIED, APPROVED or REJECTED");
            return -1;
        }
        return 0;
    case K_POINTS:
        if ((v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER) ||
            dd_dec_parse(v->str, v->len, 4, 4, &ev->points_e4)) {
            dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                               "points: must be a number >= 0 with at most 4 decimals");
            return -1;
        }
        return 0;
    case K_PAYMETHOD:
        if (v->type == DD_JSON_STRING && !strcmp(v->str, "BED_DAY"))
            ev->pay_method = DD_PAY_BED_DAY;
        else if (v->type == DD_JSON_STRING && !strcmp(v->str, "FFS"))
            ev->pay_method = DD_PAY_FFS;
        else {
            dd_event_error_set(err, DD_BAD_FIELD, "pay_method: must be BED_DAY or FFS");
            return -1;
        }
        return 0;
    case K_MONTHSTR:
        if (v->type != DD_JSON_STRING || dd_time_parse_month(v->str, v->len, &ev->close_month)) {
            dd_event_error_set(err, DD_BAD_FIELD, "month: must be YYYY-MM");
            return -1;
        }
        return 0;
    }
    return -1;
}

/* The reference decoder: a full tree (dd_json_parse), then the members in
 * document order. Every error is reported from here. */
static int from_json_tree(dd_event *ev, dd_json_doc *doc, const char *text, size_t len,
                          dd_event_error *err)
{
    dd_event_clear(ev);
    const dd_json_value *root = dd_json_parse(doc, text, len);
    if (!root) {
        dd_event_error_set(err, DD_BAD_JSON, "%s", dd_json_error(doc));
        return -1;
    }
    if (root->type != DD_JSON_OBJECT) {
        dd_event_error_set(err, DD_BAD_JSON, "not a JSON object");
        return -1;
    }
    const dd_json_value *t = dd_json_get(root, "type");
    if (!t || t->type == DD_JSON_NULL) {
        dd_event_error_set(err, DD_BAD_MISSING_FIELD, "type: missing");
        return -1;
    }
    if (t->type != DD_JSON_STRING) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type: must be a string");
        return -1;
    }
    ev->type = dd_event_type_parse(t->str, t->len);
    if (ev->type == DD_EV_NONE) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type: '%.40s' is not an event type", t->str);
        return -1;
    }
    unsigned tbit = T(ev->type);
    for (const dd_json_value *m = dd_json_first(root); m; m = dd_json_next(m, root)) {
        if (m->type == DD_JSON_NULL)
            continue; /* null = absent */
        const field_def *fd = field_find(m->key, m->key_len, tbit);
        if (!fd || (ev->has & fd->bit))
            continue; /* unknown, or a duplicate member: the first wins, as in dd_json_get */
        if (decode_field(ev, fd, m, err))
            return -1;
        ev->has |= fd->bit;
    }
    return 0;
}

/* ---- fast path ----
 * One scan over the text without a tree, for the common shape: a flat
 * object whose member names and string values are "plain" (no escapes),
 * values scalars or arrays of plain strings. It only ever SUCCEEDS with the
 * result the reference decoder would give; anything else — any error, an
 * escape, a nested object, more than FP_MAX_MEMBERS members — returns 1 and
 * the reference decoder runs (so error reasons and details, and the partly
 * decoded event of a bad text, are exactly the reference ones). */

#define FP_MAX_MEMBERS 96

typedef struct {
    const char *key;
    const char *s; /* string contents, number text, or the array from '[' */
    uint32_t key_len, len;
    dd_json_type type;
} fp_member;

/* dd_json_plain_string_end inlined for the usual case: ASCII up to the
 * closing quote inside the first two 16-byte windows. Anything else (an escape, a
 * control or non-ASCII byte, a long string, the text's last bytes) asks
 * dd_json_plain_string_end itself, so the answer is always its answer. */
static inline size_t fp_str_end(const char *t, size_t p, size_t n)
{
#if defined(__SSE2__)
    if (p + 17 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(t + p + 1));
        unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
        unsigned ms = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                         _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
        if (mq && (ms == 0 || __builtin_ctz(mq) < __builtin_ctz(ms)))
            return p + 1 + (size_t)__builtin_ctz(mq) + 1;
        if (!(mq | ms) && p + 33 <= n) { /* times: a second window */
            x = _mm_loadu_si128((const __m128i *)(const void *)(t + p + 17));
            mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
            ms = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
            if (mq && (ms == 0 || __builtin_ctz(mq) < __builtin_ctz(ms)))
                return p + 17 + (size_t)__builtin_ctz(mq) + 1;
        }
    }
#endif
    return dd_json_plain_string_end(t, p, n);
}

/* memcpy for the short strings of an event (ids, codes), without a call:
 * two overlapping words for 8..16 bytes. */
static inline void fp_copy(char *d, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        memcpy(d, s, n);
    }
}

static inline size_t fp_ws(const char *t, size_t p, size_t n)
{
    if (p < n && (unsigned char)t[p] > ' ')
        return p; /* compact JSON: no whitespace at all */
    while (p < n && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t'))
        p++;
    return p;
}

/* Decodes one member for the event type `tbit`, exactly as the reference
 * loop does: 0 ok, 1 = fall back. */
static inline __attribute__((always_inline)) int fp_member_decode(dd_event *ev,
                                                                  const fp_member *m,
                                                                  unsigned tbit,
                                                                  dd_event_error *err)
{
    if (m->type == DD_JSON_NULL)
        return 0; /* null = absent */
    const field_def *fd = field_find_fast(m->key, m->key_len, tbit);
    if (!fd || (ev->has & fd->bit))
        return 0; /* unknown, or a duplicate: the first wins */
    if (fd->kind == K_STR) {
        /* plain strings hold no NUL: dd_event_set_string's checks reduce to the length */
        if (m->type != DD_JSON_STRING || m->len >= fd->cap)
            return 1;
        char *dst = (char *)ev + fd->off;
        fp_copy(dst, m->s, m->len);
        dst[m->len] = '\0';
    } else if (fd->kind == K_DXLIST || fd->kind == K_PROCLIST || fd->kind == K_ERRLIST) {
        if (m->type != DD_JSON_ARRAY)
            return 1;
        /* validated by the scan: '[' ws ("..." ws (, ws)?)* ']' with plain strings */
        const char *a = m->s, *ae = m->s + m->len;
        size_t q = fp_ws(a, 1, m->len);
        while (a + q < ae && a[q] == '"') {
            const char *s0 = a + q + 1, *s1 = memchr(s0, '"', (size_t)(ae - s0));
            size_t sl = (size_t)(s1 - s0);
            int rc = fd->kind == K_DXLIST     ? dd_event_add_other_dx(ev, s0, sl, err)
                     : fd->kind == K_PROCLIST ? dd_event_add_procedure(ev, s0, sl, err)
                                              : dd_event_add_error(ev, s0, sl, err);
            if (rc)
                return 1;
            q = fp_ws(a, (size_t)(s1 - a) + 1, m->len);
            if (a[q] == ',')
                q = fp_ws(a, q + 1, m->len);
        }
    } else if (fd->kind == K_TIME && m->type == DD_JSON_STRING) {
        /* the usual scalars straight away; a failure falls back, so the
         * error is the reference one */
        if (parse_iso_ms_fast(m->s, m->len, (int64_t *)(void *)((char *)ev + fd->off)))
            return 1;
    } else if (fd->kind == K_AMOUNT && (m->type == DD_JSON_STRING || m->type == DD_JSON_NUMBER)) {
        if (dd_event_parse_amount(m->s, m->len, (int64_t *)(void *)((char *)ev + fd->off)))
            return 1;
    } else if (fd->kind == K_DATE && m->type == DD_JSON_STRING) {
        if (parse_date_fast(m->s, m->len, (int32_t *)(void *)((char *)ev + fd->off)))
            return 1;
    } else if (fd->kind == K_DIGIT && (m->type == DD_JSON_STRING || m->type == DD_JSON_NUMBER)) {
        if (m->len != 1 || m->s[0] < '0' || m->s[0] > '9')
            return 1;
        *(int *)(void *)((char *)ev + fd->off) = m->s[0] - '0';
    } else if (fd->kind == K_INSUTYPE && m->type == DD_JSON_STRING && m->len >= 1 && m->len <= 6) {
        /* json_small_int of a digit string, at most 999999 */
        int x = 0;
        for (uint32_t i = 0; i < m->len; i++) {
            if (m->s[i] < '0' || m->s[i] > '9')
                return 1;
            x = x * 10 + (m->s[i] - '0');
        }
        *(int *)(void *)((char *)ev + fd->off) = x;
    } else {
        /* scalars: the reference conversion (decode_field reads only type,
         * str and len). Times, dates, amounts, digits, points and months
         * are parsed within len, straight from the text; integers of JSON
         * numbers, status and pay_method need a NUL-terminated copy. */
        char buf[64];
        dd_json_value v = {.type = m->type, .str = m->s, .len = m->len};
        if (m->type == DD_JSON_ARRAY)
            return 1;
        if (m->type != DD_JSON_STRING && m->type != DD_JSON_NUMBER) {
            v.str = ""; /* true / false */
        } else if ((m->type == DD_JSON_NUMBER && (fd->kind == K_INT || fd->kind == K_INSUTYPE)) ||
                   fd->kind == K_STATUS || fd->kind == K_PAYMETHOD) {
            if (m->len >= sizeof buf)
                return 1;
            memcpy(buf, m->s, m->len);
            buf[m->len] = '\0';
            v.str = buf;
        }
        if (decode_field(ev, fd, &v, err))
            return 1;
    }
    ev->has |= fd->bit;
    return 0;
}

/* 0 ok; 1 = not handled here (fall back). Members are decoded as they are
 * scanned once the type is known; those before "type" wait in mem[] and
 * are decoded, in document order, when it arrives. A syntax error after
 * decoded members still falls back (the reference clears the event). */
static int fp_decode(dd_event *ev, const char *t, size_t n, dd_event_error *err)
{
    fp_member mem[FP_MAX_MEMBERS];
    int nm = 0;
    unsigned tbit = 0;
    if (n > (size_t)1 << 30)
        return 1;
    size_t p = fp_ws(t, 0, n);
    if (p >= n || t[p] != '{')
        return 1;
    p = fp_ws(t, p + 1, n);
    if (p < n && t[p] == '}')
        return 1; /* no type */
    for (;;) {
        if (p >= n || t[p] != '"')
            return 1;
        size_t e = fp_str_end(t, p, n);
        if (!e)
            return 1;
        fp_member cur;
        cur.key = t + p + 1;
        cur.key_len = (uint32_t)(e - p - 2);
        p = fp_ws(t, e, n);
        if (p >= n || t[p] != ':')
            return 1;
        p = fp_ws(t, p + 1, n);
        if (p >= n)
            return 1;
        char c = t[p];
        if (c == '"') {
            e = fp_str_end(t, p, n);
            if (!e)
                return 1;
            cur.type = DD_JSON_STRING;
            cur.s = t + p + 1;
            cur.len = (uint32_t)(e - p - 2);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            e = dd_json_number_end(t, p, n);
            if (!e)
                return 1;
            cur.type = DD_JSON_NUMBER;
            cur.s = t + p;
            cur.len = (uint32_t)(e - p);
        } else if (c == '[') {
            /* arrays of plain strings only */
            e = fp_ws(t, p + 1, n);
            if (e < n && t[e] != ']') {
                for (;;) {
                    if (e >= n || t[e] != '"')
                        return 1;
                    e = fp_str_end(t, e, n);
                    if (!e)
                        return 1;
                    e = fp_ws(t, e, n);
                    if (e < n && t[e] == ',') {
                        e = fp_ws(t, e + 1, n);
                        continue;
                    }
                    break;
                }
            }
            if (e >= n || t[e] != ']')
                return 1;
            e++;
            cur.type = DD_JSON_ARRAY;
            cur.s = t + p;
            cur.len = (uint32_t)(e - p);
        } else if (c == 't' && n - p >= 4 && !memcmp(t + p, "true", 4)) {
            cur.type = DD_JSON_TRUE;
            cur.s = NULL;
            cur.len = 0;
            e = p + 4;
        } else if (c == 'f' && n - p >= 5 && !memcmp(t + p, "false", 5)) {
            cur.type = DD_JSON_FALSE;
            cur.s = NULL;
            cur.len = 0;
            e = p + 5;
        } else if (c == 'n' && n - p >= 4 && !memcmp(t + p, "null", 4)) {
            cur.type = DD_JSON_NULL;
            cur.s = NULL;
            cur.len = 0;
            e = p + 4;
        } else {
            return 1; /* an object, or a syntax error */
        }
        if (tbit) {
            if (fp_member_decode(ev, &cur, tbit, err))
                return 1;
        } else if (cur.key_len == 4 && !memcmp(cur.key, "type", 4)) {
            /* the first "type" member decides, as dd_json_get does */
            if (cur.type != DD_JSON_STRING)
                return 1;
            ev->type = dd_event_type_parse(cur.s, cur.len);
            if (ev->type == DD_EV_NONE)
                return 1;
            tbit = T(ev->type);
            for (int i = 0; i < nm; i++)
                if (fp_member_decode(ev, &mem[i], tbit, err))
                    return 1;
        } else {
            if (nm == FP_MAX_MEMBERS)
                return 1;
            mem[nm++] = cur;
        }
        p = fp_ws(t, e, n);
        if (p < n && t[p] == ',') {
            p = fp_ws(t, p + 1, n);
            continue;
        }
        if (p < n && t[p] == '}') {
            p++;
            break;
        }
        return 1;
    }
    if (fp_ws(t, p, n) != n || !tbit)
        return 1;
    return 0;
}

int dd_event_from_json(dd_event *ev, dd_json_doc *doc, const char *text, size_t len,
                       dd_event_error *err)
{
    dd_event_clear(ev);
    if (!fp_decode(ev, text, len, err))
        return 0;
    return from_json_tree(ev, doc, text, len, err);
}

int dd_event_from_json_reference(dd_event *ev, dd_json_doc *doc, const char *text, size_t len,
                                 dd_event_error *err)
{
    return from_json_tree(ev, doc, text, len, err);
}

/* ---- validation ---- */

static int six_digits(const char *s)
{
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[6] == '\0';
}

static int need(const dd_event *ev, uint64_t bits, dd_event_error *err)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        {DD_F_EVENT_ID, "event_id"},       {DD_F_EVENT_TIME, "event_time"},
        {DD_F_ADMDVS, "admdvs"},           {DD_F_FIXMEDINS, "fixmedins_code"},
        {DD_F_SETL_ID, "setl_id"},         {DD_F_PSN_NO, "psn_no"},
        {DD_F_INSUTYPE, "insutype"},       {DD_F_BEGNDATE, "begndate"},
        {DD_F_ENDDATE, "enddate"},         {DD_F_SETL_TIME, "setl_time"},
        {DD_F_MEDFEE, "medfee_sumamt"},    {DD_F_FUND, "fund_pay_sumamt"},
        {DD_F_PSN_PART, "psn_part_amt"},   {DD_F_GEND, "gend"},
        {DD_F_IPT_DAYS, "ipt_days"},       {DD_F_DSCG_WAY, "dscg_way"},
        {DD_F_MAIN_DX, "main_dx"},         {DD_F_PASSED, "passed"},
        {DD_F_STATUS, "status"},           {DD_F_YEAR, "year"},
        {DD_F_AMOUNT, "amount"},           {DD_F_CLOSE_MONTH, "month"},
    };
    if ((ev->has & bits) == bits)
        return 0; /* the usual case: skip the scan for the first missing one */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((bits & names[i].bit) && !(ev->has & names[i].bit)) {
            dd_event_error_set(err, DD_BAD_MISSING_FIELD, "%s: missing", names[i].name);
            return -1;
        }
    return 0;
}

static int amount_ok(int64_t v, int64_t max, const char *name, dd_event_error *err)
{
    if (v < 0) {
        dd_event_error_set(err, DD_BAD_AMOUNT, "%s: negative", name);
        return 0;
    }
    if (v > max) {
        char b[32];
        dd_dec_format(b, sizeof b, max, 2);
        dd_event_error_set(err, DD_BAD_AMOUNT, "%s: more than %s yuan", name, b);
        return 0;
    }
    return 1;
}

int dd_event_validate(const dd_event *ev, const dd_dataset *ds, dd_event_error *err)
{
    return dd_event_validate_hosp(ev, ds, err, NULL);
}

int dd_event_validate_hosp(const dd_event *ev, const dd_dataset *ds, dd_event_error *err,
                           const dd_hospital **hosp)
{
    return dd_event_validate_hosp_hint(ev, ds, err, hosp, NULL);
}

int dd_event_validate_hosp_hint(const dd_event *ev, const dd_dataset *ds, dd_event_error *err,
                                const dd_hospital **hosp, const dd_hospital *hint)
{
    if (hosp)
        *hosp = NULL;
    if (ev->type <= DD_EV_NONE || ev->type >= DD_EV__COUNT) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_TYPE, "type: unknown");
        return -1;
    }
    if (need(ev, DD_F_EVENT_ID | DD_F_EVENT_TIME | DD_F_ADMDVS, err))
        return -1;
    if (!ev->event_id[0]) {
        dd_event_error_set(err, DD_BAD_FIELD, "event_id: empty");
        return -1;
    }
    if (!six_digits(ev->admdvs)) {
        dd_event_error_set(err, DD_BAD_FIELD, "admdvs: must be 6 digits");
        return -1;
    }
    /* A case event's hospital names its region: when that region is the
     * event's admdvs (regions are unique by admdvs), it is the region
     * dd_dataset_region would find, and the hospital checks below pass;
     * otherwise the checks run in their documented order. */
    const dd_region *reg = NULL;
    const dd_hospital *fast_h = NULL;
    if (dd_event_is_case_event(ev->type) &&
        (ev->has & (DD_F_FIXMEDINS | DD_F_SETL_ID)) == (DD_F_FIXMEDINS | DD_F_SETL_ID)) {
        /* codes are unique: the hint, when it has this code, is the answer */
        const dd_hospital *h = hint && !strcmp(hint->code, ev->fixmedins_code)
                                   ? hint
                                   : dd_dataset_hospital(ds, ev->fixmedins_code);
        const dd_region *hr = h ? dd_dataset_region_at(ds, h->region) : NULL;
        if (hr && !memcmp(hr->admdvs, ev->admdvs, 7)) {
            reg = hr;
            fast_h = h;
        }
    }
    if (!reg)
        reg = dd_dataset_region(ds, ev->admdvs);
    if (!reg) {
        dd_event_error_set(err, DD_BAD_UNKNOWN_REGION, "admdvs %s is not a known pooling region",
                           ev->admdvs);
        return -1;
    }
    if (dd_event_is_case_event(ev->type)) {
        if (need(ev, DD_F_FIXMEDINS | DD_F_SETL_ID, err))
            return -1;
        const dd_hospital *h = fast_h ? fast_h : dd_dataset_hospital(ds, ev->fixmedins_code);
        if (!h) {
            dd_event_error_set(err, DD_BAD_UNKNOWN_HOSPITAL, "fixmedins_code %s is not known",
                               ev->fixmedins_code);
            return -1;
        }
        if (h->region != reg->index) {
            dd_event_error_set(err, DD_BAD_HOSPITAL_REGION_MISMATCH,
                               "hospital %s belongs to %s, not %s", ev->fixmedins_code,
                               dd_dataset_region_at(ds, h->region)->admdvs, ev->admdvs);
            return -1;
        }
        if (!ev->setl_id[0]) {
            dd_event_error_set(err, DD_BAD_FIELD, "setl_id: empty");
            return -1;
        }
        if (hosp)
            *hosp = h;
    }
    switch (ev->type) {
    case DD_EV_SETTLEMENT:
        if (need(ev,
                 DD_F_PSN_NO | DD_F_INSUTYPE | DD_F_BEGNDATE | DD_F_ENDDATE | DD_F_SETL_TIME |
                     DD_F_MEDFEE | DD_F_FUND | DD_F_PSN_PART,
                 err))
            return -1;
        if (ev->insutype != 310 && ev->insutype != 390) {
            dd_event_error_set(err, DD_BAD_FIELD, "insutype: must be 310 or 390");
            return -1;
        }
        if ((ev->has & DD_F_INSUPLC) && !six_digits(ev->insuplc_admdvs)) {
            dd_event_error_set(err, DD_BAD_FIELD, "insuplc_admdvs: must be 6 digits");
            return -1;
        }
        if (!amount_ok(ev->medfee_fen, DD_AMOUNT_MAX_FEN, "medfee_sumamt", err) ||
            !amount_ok(ev->fund_fen, DD_AMOUNT_MAX_FEN, "fund_pay_sumamt", err) ||
            !amount_ok(ev->psn_part_fen, DD_AMOUNT_MAX_FEN, "psn_part_amt", err) ||
            !amount_ok(ev->acct_pay_fen, DD_AMOUNT_MAX_FEN, "acct_pay", err))
            return -1;
        if (ev->begndate > ev->enddate) {
            char b[16], e[16];
            dd_time_format_date(ev->begndate, b, sizeof b);
            dd_time_format_date(ev->enddate, e, sizeof e);
            dd_event_error_set(err, DD_BAD_DATES_OUT_OF_ORDER, "begndate %s is after enddate %s",
                               b, e);
            return -1;
        }
        if (ev->enddate > dd_time_local_date(ev->setl_time_ms)) {
            char e[16], s[16];
            dd_time_format_date(ev->enddate, e, sizeof e);
            dd_time_format_date(dd_time_local_date(ev->setl_time_ms), s, sizeof s);
            dd_event_error_set(err, DD_BAD_DATES_OUT_OF_ORDER,
                               "enddate %s is after the settlement date %s (Asia/Shanghai)", e, s);
            return -1;
        }
        if (ev->pay_method == DD_PAY_BED_DAY) {
            if (!(ev->has & DD_F_BED_DAY_GROUP) || !ev->bed_day_group[0]) {
                dd_event_error_set(err, DD_BAD_UNKNOWN_BEDDAY_GROUP,
                                   "pay_method BED_DAY without bed_day_group");
                return -1;
            }
            if (!dd_policy_bedday(&reg->policy, ev->bed_day_group)) {
                dd_event_error_set(err, DD_BAD_UNKNOWN_BEDDAY_GROUP,
                                   "bed_day_group %s is not defined by the policy of %s",
                                   ev->bed_day_group, ev->admdvs);
                return -1;
            }
        } else if (ev->pay_method != DD_PAY_SCHEME && ev->pay_method != DD_PAY_FFS) {
            dd_event_error_set(err, DD_BAD_FIELD, "pay_method: must be BED_DAY or FFS");
            return -1;
        }
        break;
    case DD_EV_SETTLEMENT_LIST:
        if (need(ev, DD_F_GEND | DD_F_IPT_DAYS | DD_F_DSCG_WAY | DD_F_MAIN_DX, err))
            return -1;
        if (ev->gend < 0 || ev->gend > 9) {
            dd_event_error_set(err, DD_BAD_FIELD, "gend: must be a single digit");
            return -1;
        }
        switch (ev->dscg_way) {
        case 1: case 2: case 3: case 4: case 5: case 9: break;
        default:
            dd_event_error_set(err, DD_BAD_FIELD, "dscg_way: must be 1, 2, 3, 4, 5 or 9");
            return -1;
        }
        if (ev->ipt_days < 0 || ev->ipt_days > 36600) {
            dd_event_error_set(err, DD_BAD_FIELD, "ipt_days: must be 0..36600");
            return -1;
        }
        if ((ev->has & DD_F_AGE) && (ev->age < 0 || ev->age > 150)) {
            dd_event_error_set(err, DD_BAD_FIELD, "age: must be 0..150");
            return -1;
        }
        if ((ev->has & DD_F_AGE_DAYS) && (ev->age_days < 0 || ev->age_days > 366)) {
            dd_event_error_set(err, DD_BAD_FIELD, "age_days: must be 0..366");
            return -1;
        }
        if ((ev->has & DD_F_NWB_BIR_WT) && (ev->nwb_bir_wt < 0 || ev->nwb_bir_wt > 20000)) {
            dd_event_error_set(err, DD_BAD_FIELD, "nwb_bir_wt: must be 0..20000 g");
            return -1;
        }
        if (ev->n_other_dx > DD_EVENT_MAX_DX || ev->n_procedures > DD_EVENT_MAX_PROC) {
            dd_event_error_set(err, DD_BAD_TOO_MANY_ENTRIES, "too many codes");
            return -1;
        }
        break;
    case DD_EV_QC_RESULT:
        if (need(ev, DD_F_PASSED, err))
            return -1;
        break;
    case DD_EV_SPECIAL_CASE:
        if (need(ev, DD_F_STATUS, err))
            return -1;
        if (ev->status < DD_SPECIAL_APPLIED || ev->status > DD_SPECIAL_REJECTED) {
            dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                               "status: must be APPLIED, APPROVED or REJECTED");
            return -1;
        }
        if (ev->status == DD_SPECIAL_APPROVED) {
            int has_points = (ev->has & DD_F_POINTS) != 0;
            int ffs = (ev->has & DD_F_PAY_AS_FFS) && ev->pay_as_ffs;
            if (has_points == ffs) {
                dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                                   has_points ? "APPROVED with both points and pay_as_ffs"
                                              : "APPROVED needs points or pay_as_ffs: true");
                return -1;
            }
            if (has_points && (ev->points_e4 < 0 || ev->points_e4 > DD_SPECIAL_POINTS_MAX_E4)) {
                dd_event_error_set(err, DD_BAD_SPECIAL_CASE,
                                   "points: must be 0..100000000 with at most 4 decimals");
                return -1;
            }
        }
        break;
    case DD_EV_BUDGET:
        if (need(ev, DD_F_INSUTYPE | DD_F_YEAR | DD_F_AMOUNT, err))
            return -1;
        if (ev->insutype != 310 && ev->insutype != 390) {
            dd_event_error_set(err, DD_BAD_FIELD, "insutype: must be 310 or 390");
            return -1;
        }
        if (ev->year < 1900 || ev->year > 2999) {
            dd_event_error_set(err, DD_BAD_FIELD, "year: must be 1900..2999");
            return -1;
        }
        if ((ev->has & DD_F_MONTH) && (ev->month < 1 || ev->month > 12)) {
            dd_event_error_set(err, DD_BAD_FIELD, "month: must be 1..12");
            return -1;
        }
        if (!amount_ok(ev->amount_fen, DD_BUDGET_MAX_FEN, "amount", err))
            return -1;
        break;
    case DD_EV_MONTH_CLOSE:
        if (need(ev, DD_F_INSUTYPE | DD_F_CLOSE_MONTH, err))
            return -1;
        if (ev->insutype != 310 && ev->insutype != 390) {
            dd_event_error_set(err, DD_BAD_FIELD, "insutype: must be 310 or 390");
            return -1;
        }
        break;
    default:
        break;
    }
    return 0;
}

void dd_event_pseudonymise(dd_event *ev, const uint8_t key[16])
{
    if (!(ev->has & DD_F_PSN_NO) || (ev->has & DD_F_PSN_PSEUDO))
        return;
    static const char hex[] = "0123456789abcdef";
    uint64_t h = dd_siphash24(key, ev->psn_no, strlen(ev->psn_no));
    for (int i = 15; i >= 0; i--) {
        ev->psn_no[i] = hex[h & 15];
        h >>= 4;
    }
    ev->psn_no[16] = '\0';
    ev->has |= DD_F_PSN_PSEUDO;
}

/* ---- JSON writer ---- */

static void kv_str(dd_jw *w, const char *k, const char *v)
{
    dd_jw_key(w, k);
    dd_jw_string(w, v);
}

static void kv_amount(dd_jw *w, const char *k, int64_t fen)
{
    dd_jw_key(w, k);
    dd_jw_decimal_string(w, fen, 2);
}

static void kv_time(dd_jw *w, const char *k, int64_t ms)
{
    char b[40];
    dd_time_format_iso(ms, b, sizeof b);
    kv_str(w, k, b);
}

static void kv_date(dd_jw *w, const char *k, int32_t d)
{
    char b[16];
    dd_time_format_date(d, b, sizeof b);
    kv_str(w, k, b);
}

static void kv_int(dd_jw *w, const char *k, int64_t v)
{
    dd_jw_key(w, k);
    dd_jw_int(w, v);
}

static void kv_digit(dd_jw *w, const char *k, int v)
{
    char b[2] = {(char)('0' + v), '\0'};
    kv_str(w, k, b);
}

void dd_event_to_json(const dd_event *ev, dd_jw *w)
{
    uint64_t h = ev->has;
    dd_jw_object_begin(w);
    if (h & DD_F_EVENT_ID)
        kv_str(w, "event_id", ev->event_id);
    kv_str(w, "type", dd_event_type_name(ev->type));
    if (h & DD_F_EVENT_TIME)
        kv_time(w, "event_time", ev->event_time_ms);
    if (h & DD_F_ADMDVS)
        kv_str(w, "admdvs", ev->admdvs);
    if (h & DD_F_FIXMEDINS)
        kv_str(w, "fixmedins_code", ev->fixmedins_code);
    if (dd_event_is_case_event(ev->type) && (h & DD_F_SETL_ID))
        kv_str(w, "setl_id", ev->setl_id);
    switch (ev->type) {
    case DD_EV_SETTLEMENT:
        if (h & DD_F_MDTRT_ID)
            kv_str(w, "mdtrt_id", ev->mdtrt_id);
        if (h & DD_F_PSN_NO)
            kv_str(w, "psn_no", ev->psn_no);
        if (h & DD_F_INSUTYPE) {
            char b[12];
            snprintf(b, sizeof b, "%d", ev->insutype);
            kv_str(w, "insutype", b);
        }
        if (h & DD_F_INSUPLC)
            kv_str(w, "insuplc_admdvs", ev->insuplc_admdvs);
        if (h & DD_F_BEGNDATE)
            kv_date(w, "begndate", ev->begndate);
        if (h & DD_F_ENDDATE)
            kv_date(w, "enddate", ev->enddate);
        if (h & DD_F_SETL_TIME)
            kv_time(w, "setl_time", ev->setl_time_ms);
        if (h & DD_F_MEDFEE)
            kv_amount(w, "medfee_sumamt", ev->medfee_fen);
        if (h & DD_F_FUND)
            kv_amount(w, "fund_pay_sumamt", ev->fund_fen);
        if (h & DD_F_PSN_PART)
            kv_amount(w, "psn_part_amt", ev->psn_part_fen);
        if (h & DD_F_ACCT_PAY)
            kv_amount(w, "acct_pay", ev->acct_pay_fen);
        if ((h & DD_F_PAY_METHOD) && ev->pay_method != DD_PAY_SCHEME)
            kv_str(w, "pay_method", dd_pay_method_name(ev->pay_method));
        if (h & DD_F_BED_DAY_GROUP)
            kv_str(w, "bed_day_group", ev->bed_day_group);
        break;
    case DD_EV_SETTLEMENT_LIST:
        if (h & DD_F_GEND)
            kv_digit(w, "gend", ev->gend);
        if (h & DD_F_AGE)
            kv_int(w, "age", ev->age);
        if (h & DD_F_AGE_DAYS)
            kv_int(w, "age_days", ev->age_days);
        if (h & DD_F_NWB_BIR_WT)
            kv_int(w, "nwb_bir_wt", ev->nwb_bir_wt);
        if (h & DD_F_IPT_DAYS)
            kv_int(w, "ipt_days", ev->ipt_days);
        if (h & DD_F_DSCG_WAY)
            kv_digit(w, "dscg_way", ev->dscg_way);
        if (h & DD_F_MAIN_DX)
            kv_str(w, "main_dx", ev->main_dx);
        dd_jw_key(w, "other_dx");
        dd_jw_array_begin(w);
        for (int i = 0; i < ev->n_other_dx; i++)
            dd_jw_string(w, ev->other_dx[i]);
        dd_jw_array_end(w);
        dd_jw_key(w, "procedures");
        dd_jw_array_begin(w);
        for (int i = 0; i < ev->n_procedures; i++)
            dd_jw_string(w, ev->procedures[i]);
        dd_jw_array_end(w);
        break;
    case DD_EV_QC_RESULT:
        if (h & DD_F_PASSED) {
            dd_jw_key(w, "passed");
            dd_jw_bool(w, ev->passed);
        }
        dd_jw_key(w, "errors");
        dd_jw_array_begin(w);
        for (int i = 0; i < ev->n_errors; i++)
            dd_jw_string(w, dd_event_error_at(ev, i));
        dd_jw_array_end(w);
        break;
    case DD_EV_SPECIAL_CASE:
        if (h & DD_F_STATUS)
            kv_str(w, "status", dd_special_status_name(ev->status));
        if (h & DD_F_POINTS) {
            dd_jw_key(w, "points");
            dd_jw_decimal_string(w, ev->points_e4, 4);
        }
        if (h & DD_F_PAY_AS_FFS) {
            dd_jw_key(w, "pay_as_ffs");
            dd_jw_bool(w, ev->pay_as_ffs);
        }
        break;
    case DD_EV_BUDGET:
        if (h & DD_F_INSUTYPE) {
            char b[12];
            snprintf(b, sizeof b, "%d", ev->insutype);
            kv_str(w, "insutype", b);
        }
        if (h & DD_F_YEAR)
            kv_int(w, "year", ev->year);
        if (h & DD_F_MONTH)
            kv_int(w, "month", ev->month);
        if (h & DD_F_AMOUNT)
            kv_amount(w, "amount", ev->amount_fen);
        break;
    case DD_EV_MONTH_CLOSE:
        if (h & DD_F_INSUTYPE) {
            char b[12];
            snprintf(b, sizeof b, "%d", ev->insutype);
            kv_str(w, "insutype", b);
        }
        if (h & DD_F_CLOSE_MONTH) {
            char b[12];
            dd_time_format_month(ev->close_month, b, sizeof b);
            kv_str(w, "month", b);
        }
        break;
    default:
        break;
    }
    dd_jw_object_end(w);
}
