/*
 * dd_case_codec — a dd_case as a compact, versioned text record (the value
 * of field <setl_id> in the Redis hash dd:{R}:c:<fixmedins_code>) and back,
 * exact round trip. Pure (no I/O).
 *
 * Form "v1|f1|f2|...": 43 '|'-separated fields after the version tag, each
 * a decimal integer or an escaped string (bytes '%', '|', ',' and controls
 * as %XX). Fields: flags, reconciled_seq, reversed_seq; settlement (present,
 * event_time_ms, seq, insutype, begndate, enddate, setl_time_ms, medfee,
 * fund, psn_part, acct_pay, pay_method, bed_day_group, psn, insuplc_admdvs);
 * list (present, event_time_ms, seq, gend, age, age_days, nwb_bir_wt,
 * ipt_days, dscg_way, main_dx, n_other_dx, n_procedures, codes joined by
 * ','); QC (present, event_time_ms, seq, passed, n_errors); special case
 * (present, event_time_ms, seq, status, has_points, points_e4, pay_as_ffs).
 * The identity (admdvs, fixmedins_code, setl_id) is the Redis key/field,
 * not part of the record. psn is already a pseudonym.
 */
#ifndef DD_CASE_CODEC_H
#define DD_CASE_CODEC_H

#include <stddef.h>

#include "dd_case.h"

/* Encode into a malloc'ed NUL-terminated string (*out; free it). Returns
 * its length, or -1 on out of memory. */
long dd_case_encode(const dd_case *c, char **out);

/* Decode `len` bytes into c (dd_case_init'ed with the identity first; the
 * list codes buffer is allocated: dd_case_free it; the identity strings
 * must not point into c). 0, or -1 when the
 * record is malformed / of an unknown version (c is then left initialised
 * and empty) or on out of memory. */
int dd_case_decode(dd_case *c, const char *admdvs, const char *fixmedins_code,
                   const char *setl_id, const char *s, size_t len);

#endif
