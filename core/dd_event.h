/*
 * dd_event — one input event of SPEC §2, wire-format agnostic.
 *
 * A dd_event is a plain value: every string is inline (bounded), arrays are
 * bounded (more entries than the bound is a bad event, TOO_MANY_ENTRIES), so
 * an event can be copied, reused and kept in arrays without allocation.
 * Decoders (JSON here; Avro in consumers/) fill it and set a `has` bit per
 * field present; they reject only what cannot be represented (syntax, wrong
 * JSON types, malformed times/amounts, unknown `type`, too long strings).
 * dd_event_validate() then applies every semantic rule of SPEC §2 / §11
 * against the dataset, so all decoders share one rule set.
 *
 * Units: amounts int64 fen; times int64 ms since the epoch (UTC); dates
 * int32 days since 1970-01-01; points int64 1/10000. psn_no is held only
 * transiently: call dd_event_pseudonymise() before storing or logging it.
 *
 * Bad-event reason codes (stable strings: they go to the DLQ and stderr):
 *   BAD_JSON                 not JSON, or not a JSON object
 *   UNDECODABLE              wire bytes that no decoder understands (Avro)
 *   UNKNOWN_SCHEMA           Avro writer-schema fingerprint not known
 *   UNKNOWN_TYPE             `type` is not one of SPEC §2
 *   MISSING_FIELD            a required field is absent or null
 *   BAD_FIELD                wrong JSON type, malformed or out-of-range value,
 *                            string too long, `insutype` not 310/390,
 *                            `dscg_way` not 1,2,3,4,5,9, `gend` not a single
 *                            digit, `pay_method` not BED_DAY/FFS, `admdvs` not
 *                            6 digits, budget `month` not 1..12 ...
 *   BAD_TIME                 a time without UTC offset / malformed, a bad date
 *   BAD_AMOUNT               amount not ^\d+(\.\d{1,2})?$ (sign, exponent,
 *                            3+ decimals), negative, > 100,000,000.00 yuan
 *                            (BUDGET: > 1,000,000,000,000.00)
 *   TOO_MANY_ENTRIES         more than DD_EVENT_MAX_DX other_dx, ... entries
 *   UNKNOWN_REGION           `admdvs` not in regions.csv
 *   UNKNOWN_HOSPITAL         case event whose hospital is not in hospitals.csv
 *   HOSPITAL_REGION_MISMATCH case event whose hospital belongs to another region
 *   DATES_OUT_OF_ORDER       begndate > enddate, or enddate after the local
 *                            (Asia/Shanghai) date of setl_time
 *   UNKNOWN_BEDDAY_GROUP     BED_DAY without a group, or one the policy lacks
 *   BAD_SPECIAL_CASE         bad `status`; APPROVED without exactly one of
 *                            `points` (>= 0, <= 4 decimals) and
 *                            `pay_as_ffs: true`
 * A `gend` digit other than 1/2, a missing `age`, a newborn without
 * `nwb_bir_wt`: NOT bad (the grouper answers INVALID, the case is ungroupable).
 */
#ifndef DD_EVENT_H
#define DD_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "dd_json.h"
#include "dd_refdata.h"

#define DD_EVENT_ID_MAX 64   /* event_id */
#define DD_ID_MAX 64         /* setl_id, mdtrt_id, psn_no */
#define DD_DX_MAX 31         /* one ICD code */
#define DD_GROUP_NAME_MAX 31 /* bed_day_group */
#define DD_EVENT_MAX_DX 64   /* other_dx entries */
#define DD_EVENT_MAX_PROC 64 /* procedures */
#define DD_EVENT_MAX_ERRORS 32
#define DD_EVENT_ERRORS_TEXT 2048
#define DD_AMOUNT_MAX_FEN INT64_C(10000000000)           /* 100,000,000.00 yuan */
#define DD_BUDGET_MAX_FEN INT64_C(100000000000000)       /* 1,000,000,000,000.00 yuan */
#define DD_SPECIAL_POINTS_MAX_E4 INT64_C(1000000000000)  /* 100,000,000.0000 points */

typedef enum {
    DD_EV_NONE = 0,
    DD_EV_SETTLEMENT,
    DD_EV_SETTLEMENT_REVERSAL,
    DD_EV_SETTLEMENT_LIST,
    DD_EV_QC_RESULT,
    DD_EV_RECONCILED,
    DD_EV_SPECIAL_CASE,
    DD_EV_BUDGET,
    DD_EV_MONTH_CLOSE,
    DD_EV__COUNT
} dd_event_type;

typedef enum {
    DD_PAY_SCHEME = 0, /* the region's DRG or DIP (no pay_method) */
    DD_PAY_BED_DAY = 1,
    DD_PAY_FFS = 2
} dd_pay_method;

typedef enum {
    DD_SPECIAL_NONE = 0,
    DD_SPECIAL_APPLIED = 1,
    DD_SPECIAL_APPROVED = 2,
    DD_SPECIAL_REJECTED = 3
} dd_special_status;

typedef enum {
    DD_BAD_NONE = 0,
    DD_BAD_JSON,
    DD_BAD_UNDECODABLE,
    DD_BAD_UNKNOWN_SCHEMA,
    DD_BAD_UNKNOWN_TYPE,
    DD_BAD_MISSING_FIELD,
    DD_BAD_FIELD,
    DD_BAD_TIME,
    DD_BAD_AMOUNT,
    DD_BAD_TOO_MANY_ENTRIES,
    DD_BAD_UNKNOWN_REGION,
    DD_BAD_UNKNOWN_HOSPITAL,
    DD_BAD_HOSPITAL_REGION_MISMATCH,
    DD_BAD_DATES_OUT_OF_ORDER,
    DD_BAD_UNKNOWN_BEDDAY_GROUP,
    DD_BAD_SPECIAL_CASE,
    DD_BAD__COUNT
} dd_bad_reason;

typedef struct {
    dd_bad_reason reason;
    char detail[192]; /* "medfee_sumamt: more than two decimals" */
} dd_event_error;

/* `has` bits: which fields the producer sent. */
#define DD_F_EVENT_ID (UINT64_C(1) << 0)
#define DD_F_EVENT_TIME (UINT64_C(1) << 1)
#define DD_F_ADMDVS (UINT64_C(1) << 2)
#define DD_F_FIXMEDINS (UINT64_C(1) << 3)
#define DD_F_SETL_ID (UINT64_C(1) << 4)
#define DD_F_MDTRT_ID (UINT64_C(1) << 5)
#define DD_F_PSN_NO (UINT64_C(1) << 6)
#define DD_F_INSUTYPE (UINT64_C(1) << 7)
#define DD_F_INSUPLC (UINT64_C(1) << 8)
#define DD_F_BEGNDATE (UINT64_C(1) << 9)
#define DD_F_ENDDATE (UINT64_C(1) << 10)
#define DD_F_SETL_TIME (UINT64_C(1) << 11)
#define DD_F_MEDFEE (UINT64_C(1) << 12)
#define DD_F_FUND (UINT64_C(1) << 13)
#define DD_F_PSN_PART (UINT64_C(1) << 14)
#define DD_F_ACCT_PAY (UINT64_C(1) << 15)
#define DD_F_PAY_METHOD (UINT64_C(1) << 16)
#define DD_F_BED_DAY_GROUP (UINT64_C(1) << 17)
#define DD_F_GEND (UINT64_C(1) << 18)
#define DD_F_AGE (UINT64_C(1) << 19)
#define DD_F_AGE_DAYS (UINT64_C(1) << 20)
#define DD_F_NWB_BIR_WT (UINT64_C(1) << 21)
#define DD_F_IPT_DAYS (UINT64_C(1) << 22)
#define DD_F_DSCG_WAY (UINT64_C(1) << 23)
#define DD_F_MAIN_DX (UINT64_C(1) << 24)
#define DD_F_OTHER_DX (UINT64_C(1) << 25)
#define DD_F_PROCEDURES (UINT64_C(1) << 26)
#define DD_F_PASSED (UINT64_C(1) << 27)
#define DD_F_ERRORS (UINT64_C(1) << 28)
#define DD_F_STATUS (UINT64_C(1) << 29)
#define DD_F_POINTS (UINT64_C(1) << 30)
#define DD_F_PAY_AS_FFS (UINT64_C(1) << 31)
#define DD_F_YEAR (UINT64_C(1) << 32)
#define DD_F_MONTH (UINT64_C(1) << 33)      /* BUDGET month 1..12 */
#define DD_F_AMOUNT (UINT64_C(1) << 34)
#define DD_F_CLOSE_MONTH (UINT64_C(1) << 35) /* MONTH_CLOSE "YYYY-MM" */
#define DD_F_PSN_PSEUDO (UINT64_C(1) << 36)  /* psn_no already pseudonymised */

typedef struct {
    dd_event_type type;
    uint64_t has;
    char event_id[DD_EVENT_ID_MAX + 1];
    int64_t event_time_ms;
    char admdvs[7];
    char fixmedins_code[DD_CODE_MAX + 1];
    char setl_id[DD_ID_MAX + 1];

    /* SETTLEMENT */
    char mdtrt_id[DD_ID_MAX + 1];
    char psn_no[DD_ID_MAX + 1];
    int insutype; /* also BUDGET, MONTH_CLOSE */
    char insuplc_admdvs[7];
    int32_t begndate, enddate;
    int64_t setl_time_ms;
    int64_t medfee_fen, fund_fen, psn_part_fen, acct_pay_fen;
    dd_pay_method pay_method;
    char bed_day_group[DD_GROUP_NAME_MAX + 1];

    /* SETTLEMENT_LIST (ints are -1 when absent) */
    int gend; /* a digit 0..9 */
    int age, age_days, nwb_bir_wt, ipt_days, dscg_way;
    char main_dx[DD_DX_MAX + 1];
    int n_other_dx, n_procedures;

    /* QC_RESULT */
    int passed;
    int n_errors;
    uint16_t errors_len;

    /* SPECIAL_CASE */
    dd_special_status status;
    int64_t points_e4;
    int pay_as_ffs;

    /* BUDGET */
    int year, month; /* month 0 = yearly budget */
    int64_t amount_fen;

    /* MONTH_CLOSE */
    int32_t close_month; /* dd_time month index */

    /* The lists last: every scalar above shares a few cache lines, so
     * dd_event_clear and the decoders touch little of the ~6.7 kB. */
    char other_dx[DD_EVENT_MAX_DX][DD_DX_MAX + 1];        /* SETTLEMENT_LIST */
    char procedures[DD_EVENT_MAX_PROC][DD_DX_MAX + 1];    /* SETTLEMENT_LIST */
    uint16_t error_off[DD_EVENT_MAX_ERRORS]; /* QC_RESULT: into errors_text, NUL-separated */
    char errors_text[DD_EVENT_ERRORS_TEXT];  /* QC_RESULT */
} dd_event;

const char *dd_event_type_name(dd_event_type t);      /* "SETTLEMENT", ... */
dd_event_type dd_event_type_parse(const char *s, size_t len); /* DD_EV_NONE if unknown */
const char *dd_bad_reason_name(dd_bad_reason r);      /* "BAD_AMOUNT", ... */
const char *dd_pay_method_name(dd_pay_method m);      /* "SCHEME", "BED_DAY", "FFS" */
const char *dd_special_status_name(dd_special_status s);

/* Case events carry (admdvs, fixmedins_code, setl_id). */
int dd_event_is_case_event(dd_event_type t);

/* Reset to "nothing present" (ints -1, type NONE). Cheap enough per event. */
void dd_event_clear(dd_event *ev);

/* Decode one JSON text (a JSONL line without its newline). `doc` is a
 * reusable parser. Returns 0, or -1 with err filled (ev partly filled). */
int dd_event_from_json(dd_event *ev, dd_json_doc *doc, const char *text, size_t len,
                       dd_event_error *err);

/* The same decoding through a full dd_json tree, without the one-pass fast
 * path dd_event_from_json() takes for plain texts (the fast path falls back
 * to this for anything unusual and for every error). Same result, slower;
 * for tests that compare the two. */
int dd_event_from_json_reference(dd_event *ev, dd_json_doc *doc, const char *text, size_t len,
                                 dd_event_error *err);

/* SPEC §2 / §11 rules against the dataset. 0 ok, -1 bad with err filled. */
int dd_event_validate(const dd_event *ev, const dd_dataset *ds, dd_event_error *err);
/* The same; when valid, *hosp is the case event's hospital (NULL for
 * other types), saving the caller a second look-up. */
int dd_event_validate_hosp(const dd_event *ev, const dd_dataset *ds, dd_event_error *err,
                           const dd_hospital **hosp);
/* The same with a guess of the hospital (e.g. the previous event's, of the
 * same dataset, or NULL): used when its code is the event's, which saves
 * the look-up for runs of events from one hospital. Same result. */
int dd_event_validate_hosp_hint(const dd_event *ev, const dd_dataset *ds, dd_event_error *err,
                                const dd_hospital **hosp, const dd_hospital *hint);

/* Replace psn_no by 16 lowercase hex digits of SipHash-2-4(key, psn_no)
 * and set DD_F_PSN_PSEUDO (idempotent). */
void dd_event_pseudonymise(dd_event *ev, const uint8_t key[16]);

/* Write the event as the JSON of SPEC §2 (amounts as "12.34" strings,
 * times in +08:00). Round-trips through dd_event_from_json. */
void dd_event_to_json(const dd_event *ev, dd_jw *w);

/* Helpers for decoders. Each returns 0, or -1 when the value does not fit
 * (too long -> BAD_FIELD, too many -> TOO_MANY_ENTRIES; err filled). */
int dd_event_set_string(char *dst, size_t cap, const char *field, const char *s, size_t len,
                        dd_event_error *err);
int dd_event_add_other_dx(dd_event *ev, const char *s, size_t len, dd_event_error *err);
int dd_event_add_procedure(dd_event *ev, const char *s, size_t len, dd_event_error *err);
int dd_event_add_error(dd_event *ev, const char *s, size_t len, dd_event_error *err);
const char *dd_event_error_at(const dd_event *ev, int i); /* QC error text i */

/* Exact amount text ("12.34", "12", "12.5") -> fen; -1 when not of the
 * ^\d+(\.\d{1,2})?$ form (range is checked by validate). */
int dd_event_parse_amount(const char *s, size_t len, int64_t *fen);

void dd_event_error_set(dd_event_error *err, dd_bad_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
