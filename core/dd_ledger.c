/*
 * dd_ledger — see dd_ledger.h. Three open-addressing tables (event ids,
 * cases, total scopes), linear probing, power-of-two sizes, load <= 1/2.
 */
#include "dd_ledger.h"

#include <stdlib.h>
#include <string.h>

#include "dd_hash.h"
#include "dd_num.h"
#include "dd_time.h"

typedef struct {
    dd_case c;
    dd_contrib contrib;
    dd_group_memo memo;
    int hosp;
} lcase;

typedef struct {
    uint64_t h;
    uint32_t idx1; /* index + 1; 0 = empty */
} slot;

/* Event-id and case tables: 8-byte slots (half the cache misses and page
 * faults of 16-byte ones). tag = low 32 bits of the hash, which is also
 * where the probe starts, so growing needs no re-hashing. */
typedef struct {
    uint32_t tag;
    uint32_t idx1; /* index + 1; 0 = empty */
} slot32;

typedef struct {
    uint64_t key;
    int hosp;
    int insutype;
    int32_t month;
    int64_t ctr[DD_CTR__COUNT];
} ltotal;

typedef struct {
    int region, insutype, year, month; /* month 0: yearly */
    int64_t amount_fen;
    int64_t time_ms;
    uint64_t seq;
} lbudget;

struct dd_ledger {
    const dd_dataset *ds;
    uint8_t psn_key[16];
    dd_ledger_case_fn fn;
    void *fn_ctx;
    dd_json_doc *doc;
    dd_event ev;
    uint64_t seq;
    dd_ledger_stats st;

    char *ids;
    size_t ids_len, ids_cap;
    slot32 *id_slots; /* idx1 = offset + 1 into ids */
    uint32_t id_mask, n_ids;

    lcase *cases;
    uint32_t n_cases, cap_cases;
    slot32 *case_slots;
    uint32_t case_mask;

    ltotal *tot;
    uint32_t n_tot, cap_tot;
    slot *tot_slots;
    uint32_t tot_mask;

    lbudget *bud;
    int n_bud, cap_bud;
};

static slot *slots_new(uint32_t n)
{
    return calloc(n, sizeof(slot));
}

static slot32 *slots32_new(uint32_t n)
{
    return calloc(n, sizeof(slot32));
}

/* Doubles a slot32 table (load <= 1/2). */
static int slots32_grow(slot32 **tab, uint32_t *mask)
{
    uint32_t osz = *mask + 1, nsz = osz * 2;
    if (nsz < osz)
        return -1;
    slot32 *ns = slots32_new(nsz), *os = *tab;
    if (!ns)
        return -1;
    for (uint32_t i = 0; i < osz; i++) {
        if (!os[i].idx1)
            continue;
        uint32_t j = os[i].tag & (nsz - 1);
        while (ns[j].idx1)
            j = (j + 1) & (nsz - 1);
        ns[j] = os[i];
    }
    free(os);
    *tab = ns;
    *mask = nsz - 1;
    return 0;
}

dd_ledger *dd_ledger_new(const dd_dataset *ds)
{
    dd_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->ds = ds;
    l->doc = dd_json_doc_new();
    l->id_mask = 1023;
    l->id_slots = slots32_new(1024);
    l->case_mask = 1023;
    l->case_slots = slots32_new(1024);
    l->tot_mask = 255;
    l->tot_slots = slots_new(256);
    if (!l->doc || !l->id_slots || !l->case_slots || !l->tot_slots) {
        dd_ledger_destroy(l);
        return NULL;
    }
    return l;
}

void dd_ledger_destroy(dd_ledger *l)
{
    if (!l)
        return;
    dd_json_doc_destroy(l->doc);
    free(l->ids);
    free(l->id_slots);
    for (uint32_t i = 0; i < l->n_cases; i++)
        dd_case_free(&l->cases[i].c);
    free(l->cases);
    free(l->case_slots);
    free(l->tot);
    free(l->tot_slots);
    free(l->bud);
    free(l);
}

void dd_ledger_set_psn_key(dd_ledger *l, const uint8_t key[16])
{
    memcpy(l->psn_key, key, 16);
}

void dd_ledger_set_case_observer(dd_ledger *l, dd_ledger_case_fn fn, void *ctx)
{
    l->fn = fn;
    l->fn_ctx = ctx;
}

const dd_ledger_stats *dd_ledger_get_stats(const dd_ledger *l)
{
    return &l->st;
}

/* ---- event ids ---- */

/* 1 when the id is new (and now recorded), 0 when seen, -1 on OOM.
 * `tag` = (uint32_t)dd_hash_bytes(id, n). */
static int ids_insert(dd_ledger *l, const char *id, size_t n, uint32_t tag)
{
    uint32_t i = tag & l->id_mask;
    while (l->id_slots[i].idx1) {
        if (l->id_slots[i].tag == tag && !strcmp(l->ids + l->id_slots[i].idx1 - 1, id))
            return 0;
        i = (i + 1) & l->id_mask;
    }
    if (l->ids_len + n + 1 > l->ids_cap) {
        size_t nc = l->ids_cap ? l->ids_cap * 2 : 65536;
        while (nc < l->ids_len + n + 1)
            nc *= 2;
        if (nc > UINT32_MAX - 1)
            return -1;
        char *nb = realloc(l->ids, nc);
        if (!nb)
            return -1;
        l->ids = nb;
        l->ids_cap = nc;
    }
    memcpy(l->ids + l->ids_len, id, n + 1);
    l->id_slots[i].tag = tag;
    l->id_slots[i].idx1 = (uint32_t)l->ids_len + 1;
    l->ids_len += n + 1;
    l->n_ids++;
    if (l->n_ids * 2 > l->id_mask && slots32_grow(&l->id_slots, &l->id_mask))
        return -1;
    return 1;
}

/* ---- cases ---- */

/* By setl_id alone (the hospital is compared on a hit): the ledger can
 * then prefetch the slot before validation has found the hospital. */
static uint32_t case_tag(const char *setl_id)
{
    return (uint32_t)dd_hash_bytes(setl_id, strlen(setl_id));
}

static int64_t case_find(const dd_ledger *l, int hosp, const char *setl_id, uint32_t tag,
                         uint32_t *slot_out)
{
    uint32_t i = tag & l->case_mask;
    while (l->case_slots[i].idx1) {
        if (l->case_slots[i].tag == tag) {
            const lcase *c = &l->cases[l->case_slots[i].idx1 - 1];
            if (c->hosp == hosp && !strcmp(c->c.setl_id, setl_id))
                return l->case_slots[i].idx1 - 1;
        }
        i = (i + 1) & l->case_mask;
    }
    if (slot_out)
        *slot_out = i;
    return -1;
}

static int64_t case_get(dd_ledger *l, const dd_hospital *hosp, const dd_event *ev, uint32_t tag)
{
    uint32_t s;
    int64_t idx = case_find(l, hosp->index, ev->setl_id, tag, &s);
    if (idx >= 0)
        return idx;
    if (l->n_cases == l->cap_cases) {
        uint32_t nc = l->cap_cases ? l->cap_cases * 2 : 1024;
        lcase *n = realloc(l->cases, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        l->cases = n;
        l->cap_cases = nc;
    }
    lcase *c = &l->cases[l->n_cases];
    dd_case_init(&c->c, ev->admdvs, ev->fixmedins_code, ev->setl_id);
    memset(&c->contrib, 0, sizeof c->contrib);
    c->contrib.reason = "";
    memset(&c->memo, 0, sizeof c->memo);
    c->hosp = hosp->index;
    l->case_slots[s].tag = tag;
    l->case_slots[s].idx1 = l->n_cases + 1;
    idx = l->n_cases++;
    if (l->n_cases * 2 > l->case_mask && slots32_grow(&l->case_slots, &l->case_mask))
        return -1;
    return idx;
}

/* ---- totals ---- */

static uint64_t tot_key(int hosp, int insutype, int32_t month)
{
    return ((uint64_t)(uint32_t)hosp << 32) | ((uint64_t)(insutype & 0xFFFF) << 16) |
           (uint64_t)(month & 0xFFFF);
}

static int64_t tot_find(const dd_ledger *l, uint64_t key, uint32_t *slot_out)
{
    uint64_t h = dd_hash_mix(0, key);
    uint32_t i = (uint32_t)h & l->tot_mask;
    while (l->tot_slots[i].idx1) {
        if (l->tot_slots[i].h == key)
            return l->tot_slots[i].idx1 - 1;
        i = (i + 1) & l->tot_mask;
    }
    if (slot_out)
        *slot_out = i;
    return -1;
}

static int tot_grow_table(dd_ledger *l)
{
    uint32_t nsz = (l->tot_mask + 1) * 2;
    slot *ns = slots_new(nsz);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i <= l->tot_mask; i++) {
        if (!l->tot_slots[i].idx1)
            continue;
        uint32_t j = (uint32_t)dd_hash_mix(0, l->tot_slots[i].h) & (nsz - 1);
        while (ns[j].idx1)
            j = (j + 1) & (nsz - 1);
        ns[j] = l->tot_slots[i];
    }
    free(l->tot_slots);
    l->tot_slots = ns;
    l->tot_mask = nsz - 1;
    return 0;
}

static ltotal *tot_get(dd_ledger *l, int hosp, int insutype, int32_t month)
{
    uint64_t key = tot_key(hosp, insutype, month);
    uint32_t s;
    int64_t idx = tot_find(l, key, &s);
    if (idx >= 0)
        return &l->tot[idx];
    if (l->n_tot == l->cap_tot) {
        uint32_t nc = l->cap_tot ? l->cap_tot * 2 : 64;
        ltotal *n = realloc(l->tot, (size_t)nc * sizeof *n);
        if (!n)
            return NULL;
        l->tot = n;
        l->cap_tot = nc;
    }
    ltotal *t = &l->tot[l->n_tot];
    memset(t, 0, sizeof *t);
    t->key = key;
    t->hosp = hosp;
    t->insutype = insutype;
    t->month = month;
    l->tot_slots[s].h = key;
    l->tot_slots[s].idx1 = l->n_tot + 1;
    l->n_tot++;
    if (l->n_tot * 2 > l->tot_mask && tot_grow_table(l))
        return NULL;
    return &l->tot[l->n_tot - 1];
}

static int move_totals(dd_ledger *l, int hosp, const dd_contrib *c, int sign)
{
    if (!c->in_scope)
        return 0;
    dd_counter_kv kv[DD_CTR__COUNT];
    int n = dd_contrib_counters_sparse(c, kv);
    if (!n)
        return 0;
    ltotal *t = tot_get(l, hosp, c->scope.insutype, c->scope.month);
    if (!t)
        return -1;
    for (int i = 0; i < n; i++)
        t->ctr[kv[i].id] += sign * kv[i].value;
    return 0;
}

/* ---- budgets ---- */

static int budget_apply(dd_ledger *l, const dd_event *ev, uint64_t seq)
{
    const dd_region *r = dd_dataset_region(l->ds, ev->admdvs);
    int month = (ev->has & DD_F_MONTH) ? ev->month : 0;
    for (int i = 0; i < l->n_bud; i++) {
        lbudget *b = &l->bud[i];
        if (b->region == r->index && b->insutype == ev->insutype && b->year == ev->year &&
            b->month == month) {
            if (ev->event_time_ms > b->time_ms ||
                (ev->event_time_ms == b->time_ms && seq > b->seq)) {
                b->amount_fen = ev->amount_fen;
                b->time_ms = ev->event_time_ms;
                b->seq = seq;
                return 1;
            }
            return 0;
        }
    }
    if (l->n_bud == l->cap_bud) {
        int nc = l->cap_bud ? l->cap_bud * 2 : 16;
        lbudget *n = realloc(l->bud, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        l->bud = n;
        l->cap_bud = nc;
    }
    lbudget *b = &l->bud[l->n_bud++];
    b->region = r->index;
    b->insutype = ev->insutype;
    b->year = ev->year;
    b->month = month;
    b->amount_fen = ev->amount_fen;
    b->time_ms = ev->event_time_ms;
    b->seq = seq;
    return 1;
}

int64_t dd_ledger_budget(const dd_ledger *l, const char *admdvs, int insutype, int32_t month)
{
    const dd_region *r = dd_dataset_region(l->ds, admdvs);
    if (!r)
        return 0;
    int year = dd_time_month_year(month), m = dd_time_month_num(month);
    const lbudget *yearly = NULL;
    for (int i = 0; i < l->n_bud; i++) {
        const lbudget *b = &l->bud[i];
        if (b->region != r->index || b->insutype != insutype || b->year != year)
            continue;
        if (b->month == m)
            return b->amount_fen;
        if (b->month == 0)
            yearly = b;
    }
    return yearly ? dd_div_round(yearly->amount_fen, 12) : 0;
}

/* ---- apply ---- */

dd_ledger_outcome dd_ledger_apply_event(dd_ledger *l, dd_event *ev, dd_event_error *err)
{
    l->st.read++;
    /* Hash the id and the case key first and prefetch their slots: the
     * (likely) cache misses then overlap with validation. */
    size_t id_len = strlen(ev->event_id);
    uint32_t id_tag = (uint32_t)dd_hash_bytes(ev->event_id, id_len);
    __builtin_prefetch(&l->id_slots[id_tag & l->id_mask]);
    uint32_t c_tag = 0;
    if (dd_event_is_case_event(ev->type)) {
        c_tag = case_tag(ev->setl_id);
        __builtin_prefetch(&l->case_slots[c_tag & l->case_mask]);
    }
    const dd_hospital *hosp;
    if (dd_event_validate_hosp(ev, l->ds, err, &hosp)) {
        l->st.bad++;
        l->st.bad_by_reason[err->reason]++;
        return DD_LEDGER_BAD;
    }
    int r = ids_insert(l, ev->event_id, id_len, id_tag);
    if (r < 0)
        goto oom;
    if (r == 0) {
        l->st.duplicates++;
        return DD_LEDGER_DUPLICATE;
    }
    uint64_t seq = ++l->seq;
    l->st.applied++;
    l->st.by_type[ev->type]++;
    if (ev->type == DD_EV_BUDGET) {
        int b = budget_apply(l, ev, seq);
        if (b < 0)
            goto oom;
        l->st.changed += (uint64_t)b;
        return DD_LEDGER_APPLIED;
    }
    if (!dd_event_is_case_event(ev->type))
        return DD_LEDGER_APPLIED; /* MONTH_CLOSE */
    dd_event_pseudonymise(ev, l->psn_key);
    int64_t idx = case_get(l, hosp, ev, c_tag);
    if (idx < 0)
        goto oom;
    lcase *c = &l->cases[idx];
    int ch = dd_case_apply(&c->c, ev, seq);
    if (ch < 0)
        goto oom;
    if (ch == 0)
        return DD_LEDGER_APPLIED;
    l->st.changed++;
    dd_contrib nc;
    dd_case_contribution(l->ds, &c->c, &c->memo, &nc);
    if (move_totals(l, c->hosp, &c->contrib, -1) || move_totals(l, c->hosp, &nc, +1))
        goto oom;
    if (l->fn)
        l->fn(l->fn_ctx, &c->c, &c->contrib, &nc);
    c->contrib = nc;
    return DD_LEDGER_APPLIED;
oom:
    dd_event_error_set(err, DD_BAD_NONE, "out of memory");
    return DD_LEDGER_ERROR;
}

dd_ledger_outcome dd_ledger_apply_json(dd_ledger *l, const char *text, size_t len,
                                       dd_event_error *err)
{
    if (dd_event_from_json(&l->ev, l->doc, text, len, err)) {
        l->st.read++;
        l->st.bad++;
        l->st.bad_by_reason[err->reason]++;
        return DD_LEDGER_BAD;
    }
    return dd_ledger_apply_event(l, &l->ev, err);
}

/* ---- queries ---- */

const int64_t *dd_ledger_totals(const dd_ledger *l, const char *admdvs, int insutype,
                                int32_t month, const char *fixmedins_code)
{
    const dd_hospital *h = dd_dataset_hospital(l->ds, fixmedins_code);
    const dd_region *r = dd_dataset_region(l->ds, admdvs);
    if (!h || !r || h->region != r->index)
        return NULL;
    int64_t idx = tot_find(l, tot_key(h->index, insutype, month), NULL);
    return idx >= 0 ? l->tot[idx].ctr : NULL;
}

int dd_ledger_scope_count(const dd_ledger *l)
{
    return (int)l->n_tot;
}

const int64_t *dd_ledger_scope_at(const dd_ledger *l, int i, dd_scope *scope)
{
    if (i < 0 || (uint32_t)i >= l->n_tot)
        return NULL;
    const ltotal *t = &l->tot[i];
    if (scope) {
        const dd_hospital *h = dd_dataset_hospital_at(l->ds, t->hosp);
        const dd_region *r = dd_dataset_region_at(l->ds, h->region);
        memset(scope, 0, sizeof *scope);
        memcpy(scope->admdvs, r->admdvs, sizeof scope->admdvs);
        memcpy(scope->fixmedins_code, h->code, sizeof scope->fixmedins_code);
        scope->insutype = t->insutype;
        scope->month = t->month;
    }
    return t->ctr;
}

const dd_case *dd_ledger_case(const dd_ledger *l, const char *admdvs, const char *fixmedins_code,
                              const char *setl_id)
{
    const dd_hospital *h = dd_dataset_hospital(l->ds, fixmedins_code);
    const dd_region *r = dd_dataset_region(l->ds, admdvs);
    if (!h || !r || h->region != r->index)
        return NULL;
    int64_t idx = case_find(l, h->index, setl_id, case_tag(setl_id), NULL);
    return idx >= 0 ? &l->cases[idx].c : NULL;
}

const dd_contrib *dd_ledger_case_contrib(const dd_ledger *l, const dd_case *c)
{
    /* dd_case is the first member of lcase */
    (void)l;
    return &((const lcase *)(const void *)c)->contrib;
}

int dd_ledger_case_count(const dd_ledger *l)
{
    return (int)l->n_cases;
}
