/* core/dd_case_codec: exact round trip of every case state of the golden
 * stream (as the streaming processor stores them in Redis), escaping, and
 * rejection of malformed records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_case_codec.h"
#include "dd_datadir.h"
#include "dd_ledger.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

typedef struct {
    const dd_dataset *ds;
    int n;
} obs_ctx;

static void observe(void *vctx, const dd_case *c, const dd_contrib *old_c, const dd_contrib *new_c)
{
    (void)old_c;
    obs_ctx *ctx = vctx;
    char *s1 = NULL, *s2 = NULL;
    long l1 = dd_case_encode(c, &s1);
    cr_assert(l1 > 0 && !strncmp(s1, "v1|", 3));
    dd_case d;
    cr_assert_eq(dd_case_decode(&d, c->admdvs, c->fixmedins_code, c->setl_id, s1, (size_t)l1), 0,
                 "decode %s", s1);
    long l2 = dd_case_encode(&d, &s2);
    cr_assert_eq(l1, l2);
    cr_assert_str_eq(s1, s2);
    /* the decoded state contributes exactly the same counters */
    dd_contrib dc;
    dd_case_contribution(ctx->ds, &d, NULL, &dc);
    int64_t a[DD_CTR__COUNT], b[DD_CTR__COUNT];
    dd_contrib_counters(new_c, a);
    dd_contrib_counters(&dc, b);
    cr_assert_arr_eq(a, b, sizeof a);
    cr_assert_eq(dc.in_scope, new_c->in_scope);
    if (dc.in_scope)
        cr_assert(dd_scope_equal(&dc.scope, &new_c->scope));
    cr_assert_eq(d.flags, c->flags);
    cr_assert_eq(d.list.n_other_dx, c->list.n_other_dx);
    cr_assert_eq(d.list.n_procedures, c->list.n_procedures);
    cr_assert_eq(d.list.codes_len, c->list.codes_len);
    if (c->list.codes_len)
        cr_assert_eq(memcmp(d.list.codes, c->list.codes, c->list.codes_len), 0);
    dd_case_free(&d);
    free(s1);
    free(s2);
    ctx->n++;
}

Test(case_codec, golden_stream_round_trip)
{
    char err[512];
    dd_datadir *dir = dd_datadir_open(DD_SHARED_DIR "/golden/replay/data", err, sizeof err);
    cr_assert(dir, "%s", err);
    const dd_dataset *ds = dd_datadir_dataset(dir);
    dd_ledger *l = dd_ledger_new(ds);
    obs_ctx ctx = {ds, 0};
    dd_ledger_set_case_observer(l, observe, &ctx);
    size_t len;
    char *text = slurp(DD_SHARED_DIR "/golden/replay/stream.jsonl", &len);
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            dd_event_error e;
            dd_ledger_apply_json(l, p, n, &e);
        }
        p += n + (nl ? 1 : 0);
    }
    cr_assert_gt(ctx.n, 1000, "only %d case changes observed", ctx.n);
    free(text);
    dd_ledger_destroy(l);
    dd_datadir_close(dir);
}

Test(case_codec, escaping_and_edges)
{
    dd_case c;
    dd_case_init(&c, "220100", "H22010100001", "S|1,%x");
    dd_event ev;
    dd_event_clear(&ev);
    ev.type = DD_EV_SETTLEMENT_LIST;
    ev.event_time_ms = -5;
    ev.gend = 1;
    ev.age = 40;
    ev.ipt_days = 3;
    ev.dscg_way = 1;
    strcpy(ev.main_dx, "A|B,C%D");
    ev.n_other_dx = 2;
    strcpy(ev.other_dx[0], "");
    strcpy(ev.other_dx[1], "X,Y");
    ev.n_procedures = 1;
    strcpy(ev.procedures[0], "%%");
    ev.has = DD_F_AGE;
    cr_assert_eq(dd_case_apply(&c, &ev, UINT64_C(18446744073709551615)), 1);
    c.flags = DD_CASE_RECONCILED | DD_CASE_REVERSED;
    c.setl.medfee_fen = INT64_MIN;
    c.setl.fund_fen = INT64_MAX;
    strcpy(c.setl.psn, "0123456789abcdef");
    char *s = NULL;
    long n = dd_case_encode(&c, &s);
    cr_assert(n > 0);
    cr_assert_null(strchr(s, '\n'));
    dd_case d;
    cr_assert_eq(dd_case_decode(&d, "220100", "H22010100001", "S|1,%x", s, (size_t)n), 0, "%s", s);
    cr_assert_str_eq(d.list.main_dx, "A|B,C%D");
    const char *dx[DD_EVENT_MAX_DX], *pr[DD_EVENT_MAX_PROC];
    dd_case_list_codes(&d, dx, pr);
    cr_assert_str_eq(dx[0], "");
    cr_assert_str_eq(dx[1], "X,Y");
    cr_assert_str_eq(pr[0], "%%");
    cr_assert_eq(d.list.v.seq, UINT64_C(18446744073709551615));
    cr_assert_eq(d.list.v.event_time_ms, -5);
    cr_assert_eq(d.setl.medfee_fen, INT64_MIN);
    cr_assert_eq(d.setl.fund_fen, INT64_MAX);
    cr_assert_eq(d.flags, 3u);
    cr_assert_str_eq(d.setl.psn, "0123456789abcdef");
    char *s2 = NULL;
    dd_case_encode(&d, &s2);
    cr_assert_str_eq(s, s2);
    dd_case_free(&d); /* decode re-initialises d: free the decoded codes first */

    /* malformed: wrong version, truncated, extra field, bad number, bad escape */
    cr_assert_eq(dd_case_decode(&d, "220100", "H", "S", "v2|0", 4), -1);
    cr_assert_eq(dd_case_decode(&d, "220100", "H", "S", s, (size_t)n - 3), -1);
    char *t = malloc((size_t)n + 4);
    memcpy(t, s, (size_t)n);
    memcpy(t + n, "|7", 3);
    cr_assert_eq(dd_case_decode(&d, "220100", "H", "S", t, (size_t)n + 2), -1);
    memcpy(t, s, (size_t)n + 1);
    t[3] = 'x'; /* flags */
    cr_assert_eq(dd_case_decode(&d, "220100", "H", "S", t, (size_t)n), -1);
    cr_assert_eq(d.flags, 0u); /* left initialised and empty */
    char *pct = strstr(s, "%7C");
    cr_assert(pct);
    memcpy(t, s, (size_t)n + 1);
    t[pct - s + 1] = 'G';
    cr_assert_eq(dd_case_decode(&d, "220100", "H", "S", t, (size_t)n), -1);
    free(t);
    free(s);
    free(s2);
    dd_case_free(&c);
    dd_case_free(&d);
}
