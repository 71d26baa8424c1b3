/*
 * dd_ledger — see dd_ledger.h. Three open-addressing tables (event ids,
 * cases, total scopes), linear probing, power-of-two sizes, load <= 1/2.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#endif
#include "dd_ledger.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "dd_hash.h"
#include "dd_num.h"
#include "dd_time.h"

/* ---- memory ----
 * Case state is most of a replay's memory (about 1 kB a case) and is
 * touched for the first time when its case appears: with 4 kB pages that is
 * a page fault every few cases (a third of the replay time on the reference
 * VM). Large blocks are therefore anonymous mappings aligned to 2 MB and
 * advised for transparent huge pages (THP "madvise" mode; without THP they
 * are ordinary zeroed pages). Sanitizer builds keep calloc so ASan still
 * sees every block. */
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__)
#define BIG_MMAP 1
#endif
#define BIG_MIN ((size_t)2 << 20)

#ifdef BIG_MMAP
static size_t big_round(size_t n)
{
    return (n + BIG_MIN - 1) & ~(BIG_MIN - 1);
}
#endif

/* Zeroed block of n bytes; release with big_free(p, n). */
static void *big_alloc(size_t n)
{
#ifdef BIG_MMAP
    if (n >= BIG_MIN) {
        size_t len = big_round(n), map = len + BIG_MIN;
        char *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        /* trim to a 2 MB aligned start: huge pages need aligned extents */
        char *a = (char *)(((uintptr_t)p + BIG_MIN - 1) & ~(uintptr_t)(BIG_MIN - 1));
        size_t head = (size_t)(a - p), tail = map - head - len;
        if (head)
            munmap(p, head);
        if (tail)
            munmap(a + len, tail);
        madvise(a, len, MADV_HUGEPAGE); /* a hint: failure only costs speed */
        return a;
    }
#endif
    return calloc(1, n ? n : 1);
}

static void big_free(void *p, size_t n)
{
    if (!p)
        return;
#ifdef BIG_MMAP
    if (n >= BIG_MIN) {
        munmap(p, big_round(n));
        return;
    }
#else
    (void)n;
#endif
    free(p);
}

/* Geometric chunks: chunk k holds (1 << (base_log + k)) elements and
 * starts at element ((1 << k) - 1) << base_log, so an index maps to its
 * chunk with one clz, chunks never move (no copying on growth, stable
 * addresses) and there are at most 32 - base_log + 1 of them. */
#define GC_MAX 24

typedef struct {
    char *chunk[GC_MAX];
    size_t elem;      /* element size */
    unsigned base_log;
    int n_chunks;
} gchunks;

static inline void *gc_at(const gchunks *g, uint32_t i)
{
    uint32_t q = (i >> g->base_log) + 1;
    int k = 31 - __builtin_clz(q);
    size_t off = i - ((((uint32_t)1 << k) - 1) << g->base_log);
    return g->chunk[k] + off * g->elem;
}

static size_t gc_chunk_bytes(const gchunks *g, int k)
{
    return ((size_t)1 << (g->base_log + (unsigned)k)) * g->elem;
}

/* Capacity (elements) of the first n chunks. */
static uint64_t gc_cap(const gchunks *g, int n)
{
    return (((uint64_t)1 << n) - 1) << g->base_log;
}

/* Makes room for element index i; -1 when out of memory or range. */
static int gc_reserve(gchunks *g, uint64_t i)
{
    while (i >= gc_cap(g, g->n_chunks)) {
        if (g->n_chunks == GC_MAX || gc_cap(g, g->n_chunks + 1) > (uint64_t)UINT32_MAX + 1)
            return -1;
        char *c = big_alloc(gc_chunk_bytes(g, g->n_chunks));
        if (!c)
            return -1;
        g->chunk[g->n_chunks++] = c;
    }
    return 0;
}

static void gc_free(gchunks *g)
{
    for (int k = 0; k < g->n_chunks; k++)
        big_free(g->chunk[k], gc_chunk_bytes(g, k));
    g->n_chunks = 0;
}

/* What the counters of a case's current contribution depend on (all that
 * dd_contrib_counters_add reads, plus the scope), packed: 72 bytes instead
 * of a 232-byte dd_contrib per case. The full contribution is a pure
 * function of the state, so it is recomputed when someone asks for it
 * (dd_ledger_case_contrib, the case observer). */
enum {
    CF_IN_SCOPE = 1 << 0,
    CF_REVERSED = 1 << 1,
    CF_HAS_LIST = 1 << 2,
    CF_GROUPED_BY_SCHEME = 1 << 3,
    CF_GROUPED = 1 << 4,
    CF_LATE = 1 << 5,
    CF_QC_MISSING = 1 << 6,
    CF_QC_FAILED = 1 << 7,
    CF_TRANSFER_OUT = 1 << 8, /* dscg_way == 2 */
    CF_PAID = 1 << 9,
    CF_ELIGIBLE = 1 << 10,
    CF_IN_CMI = 1 << 11
};

typedef struct {
    int64_t medfee_fen, fund_fen, psn_part_fen, acct_pay_fen;
    int64_t points_e4, paid_points_e4, weight_e4;
    int32_t insutype, month;
    uint16_t flags;
    uint8_t category, paid_category, pending, special;
    int8_t severity;
} ctr_src;

typedef struct {
    dd_case c;
    dd_group_memo memo;
    ctr_src cs;    /* of the current contribution */
    int hosp;
    int has_contrib; /* cs is set: a change was applied */
    uint32_t tot1; /* totals row + 1 of the contribution's scope (when in scope) */
} lcase;

static void ctr_pack(ctr_src *s, const dd_contrib *c)
{
    s->medfee_fen = c->medfee_fen;
    s->fund_fen = c->fund_fen;
    s->psn_part_fen = c->psn_part_fen;
    s->acct_pay_fen = c->acct_pay_fen;
    s->points_e4 = c->points_e4;
    s->paid_points_e4 = c->paid_points_e4;
    s->weight_e4 = c->weight_e4;
    s->insutype = c->scope.insutype;
    s->month = c->scope.month;
    s->flags = (uint16_t)((c->in_scope ? CF_IN_SCOPE : 0) | (c->reversed ? CF_REVERSED : 0) |
                          (c->has_list ? CF_HAS_LIST : 0) |
                          (c->grouped_by_scheme ? CF_GROUPED_BY_SCHEME : 0) |
                          (c->grouped ? CF_GROUPED : 0) | (c->late ? CF_LATE : 0) |
                          (c->qc_missing ? CF_QC_MISSING : 0) | (c->qc_failed ? CF_QC_FAILED : 0) |
                          (c->dscg_way == 2 ? CF_TRANSFER_OUT : 0) | (c->paid ? CF_PAID : 0) |
                          (c->eligible ? CF_ELIGIBLE : 0) | (c->in_cmi ? CF_IN_CMI : 0));
    s->category = (uint8_t)c->category;
    s->paid_category = (uint8_t)c->paid_category;
    s->pending = (uint8_t)c->pending;
    s->special = (uint8_t)c->special;
    s->severity = (int8_t)c->severity;
}

/* ctr[i] += sign * counters(contribution packed in s)[i] */
static void ctr_add_packed(const ctr_src *s, int64_t sign, int64_t *ctr)
{
    dd_contrib c; /* only what dd_contrib_counters_add reads is set */
    c.in_scope = (s->flags & CF_IN_SCOPE) != 0;
    c.reversed = (s->flags & CF_REVERSED) != 0;
    c.has_list = (s->flags & CF_HAS_LIST) != 0;
    c.grouped_by_scheme = (s->flags & CF_GROUPED_BY_SCHEME) != 0;
    c.grouped = (s->flags & CF_GROUPED) != 0;
    c.late = (s->flags & CF_LATE) != 0;
    c.qc_missing = (s->flags & CF_QC_MISSING) != 0;
    c.qc_failed = (s->flags & CF_QC_FAILED) != 0;
    c.dscg_way = (s->flags & CF_TRANSFER_OUT) ? 2 : -1;
    c.paid = (s->flags & CF_PAID) != 0;
    c.eligible = (s->flags & CF_ELIGIBLE) != 0;
    c.in_cmi = (s->flags & CF_IN_CMI) != 0;
    c.medfee_fen = s->medfee_fen;
    c.fund_fen = s->fund_fen;
    c.psn_part_fen = s->psn_part_fen;
    c.acct_pay_fen = s->acct_pay_fen;
    c.points_e4 = s->points_e4;
    c.paid_points_e4 = s->paid_points_e4;
    c.weight_e4 = s->weight_e4;
    c.category = (dd_category)s->category;
    c.paid_category = (dd_category)s->paid_category;
    c.pending = (dd_pending_reason)s->pending;
    c.special = (dd_special_status)s->special;
    c.severity = s->severity;
    dd_contrib_counters_add(&c, sign, ctr);
}

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

    gchunks ids;      /* event ids, NUL-terminated, never across chunks */
    uint64_t ids_len; /* next free offset */
    slot32 *id_slots; /* idx1 = offset + 1 into ids */
    uint32_t id_mask, n_ids;

    gchunks cases;    /* lcase elements */
    uint32_t n_cases;
    slot32 *case_slots;
    uint32_t case_mask;

    ltotal *tot;
    uint32_t n_tot, cap_tot;
    slot *tot_slots;
    uint32_t tot_mask;

    lbudget *bud;
    int n_bud, cap_bud;

    const dd_hospital *last_hosp; /* of the last valid case event: a look-up hint */
    char *codes_blk;              /* list codes arena: current block (first word: previous) */
    size_t codes_used;
    dd_contrib ring[DD_LEDGER_CONTRIB_RING]; /* dd_ledger_case_contrib answers */
    unsigned ring_next;
};

/* ---- list codes ----
 * The cases' list codes come from an arena of 2 MB blocks (huge pages, no
 * malloc header, exact sizes); a corrected list with more codes takes a new
 * piece and leaves the old one unused until the ledger goes. */
#define CODES_BLOCK BIG_MIN

static char *codes_alloc(void *ctx, size_t n)
{
    dd_ledger *l = ctx;
    if (n > CODES_BLOCK - 8)
        return NULL; /* cannot happen: at most 128 codes of 31 characters */
    if (!l->codes_blk || l->codes_used + n > CODES_BLOCK) {
        char *b = big_alloc(CODES_BLOCK);
        if (!b)
            return NULL;
        memcpy(b, &l->codes_blk, sizeof(char *));
        l->codes_blk = b;
        l->codes_used = 8;
    }
    char *p = l->codes_blk + l->codes_used;
    l->codes_used += n;
    return p;
}

static void codes_free(dd_ledger *l)
{
    while (l->codes_blk) {
        char *prev;
        memcpy(&prev, l->codes_blk, sizeof prev);
        big_free(l->codes_blk, CODES_BLOCK);
        l->codes_blk = prev;
    }
}

static slot *slots_new(uint32_t n)
{
    return calloc(n, sizeof(slot));
}

static slot32 *slots32_new(uint32_t n)
{
    return big_alloc((size_t)n * sizeof(slot32));
}

static void slots32_free(slot32 *s, uint32_t mask)
{
    big_free(s, ((size_t)mask + 1) * sizeof(slot32));
}

static inline lcase *case_at(const dd_ledger *l, uint32_t idx)
{
    return gc_at(&l->cases, idx);
}

static inline const char *id_at(const dd_ledger *l, uint32_t off)
{
    return gc_at(&l->ids, off);
}

/* Re-slots a slot32 table into nsz (a power of two > the old size). */
static int slots32_resize(slot32 **tab, uint32_t *mask, uint32_t nsz)
{
    uint32_t osz = *mask + 1;
    if (nsz <= osz)
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
    slots32_free(os, *mask);
    *tab = ns;
    *mask = nsz - 1;
    return 0;
}

/* Doubles a slot32 table (load <= 1/2). */
static int slots32_grow(slot32 **tab, uint32_t *mask)
{
    return slots32_resize(tab, mask, (*mask + 1) * 2);
}

void dd_ledger_reserve(dd_ledger *l, uint64_t n_events)
{
    /* the table grows when n_ids * 2 > mask: room for n_events ids */
    uint64_t need = n_events * 2 + 1, sz = (uint64_t)l->id_mask + 1;
    while (sz < need && sz < ((uint64_t)1 << 31))
        sz *= 2;
    if (sz > (uint64_t)l->id_mask + 1)
        slots32_resize(&l->id_slots, &l->id_mask, (uint32_t)sz); /* a hint: failure is fine */
}

dd_ledger *dd_ledger_new(const dd_dataset *ds)
{
    dd_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->ds = ds;
    l->ids.elem = 1;
    l->ids.base_log = 16;
    l->cases.elem = sizeof(lcase);
    l->cases.base_log = 10;
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
    gc_free(&l->ids);
    slots32_free(l->id_slots, l->id_mask);
    gc_free(&l->cases); /* list codes are in the arena: no dd_case_free */
    codes_free(l);
    slots32_free(l->case_slots, l->case_mask);
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

/* ---- hashing ----
 * Hash of an event id or setl_id for the ledger's own tables (never stored
 * or shown): whole words, the tail as one overlapping load, then a final
 * mix; ids are short, so this beats dd_hash_bytes' byte loop. */
static inline uint64_t id_hash(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 31;
    }
    if (i < n) {
        if (n >= 8) {
            memcpy(&w, s + n - 8, 8);
        } else if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            w = ((uint64_t)a << 32) | b;
        } else {
            w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
                (unsigned char)s[n - 1];
        }
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

/* ---- event ids ---- */

/* 1 when the id is new (and now recorded), 0 when seen, -1 on OOM.
 * `tag` = (uint32_t)id_hash(id, n). */
static int ids_insert(dd_ledger *l, const char *id, size_t n, uint32_t tag)
{
    uint32_t i = tag & l->id_mask;
    while (l->id_slots[i].idx1) {
        if (l->id_slots[i].tag == tag && !strcmp(id_at(l, l->id_slots[i].idx1 - 1), id))
            return 0;
        i = (i + 1) & l->id_mask;
    }
    uint64_t off = l->ids_len;
    if (l->ids.n_chunks) {
        /* an id never straddles two chunks: skip to the next one */
        uint32_t q = (uint32_t)(off >> l->ids.base_log) + 1;
        uint64_t end = gc_cap(&l->ids, 32 - __builtin_clz(q));
        if (off + n + 1 > end)
            off = end;
    }
    if (off + n + 1 >= UINT32_MAX || gc_reserve(&l->ids, off + n))
        return -1;
    memcpy(gc_at(&l->ids, (uint32_t)off), id, n + 1);
    l->id_slots[i].tag = tag;
    l->id_slots[i].idx1 = (uint32_t)off + 1;
    l->ids_len = off + n + 1;
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
    return (uint32_t)id_hash(setl_id, strlen(setl_id));
}

static int64_t case_find(const dd_ledger *l, int hosp, const char *setl_id, uint32_t tag,
                         uint32_t *slot_out)
{
    uint32_t i = tag & l->case_mask;
    while (l->case_slots[i].idx1) {
        if (l->case_slots[i].tag == tag) {
            const lcase *c = case_at(l, l->case_slots[i].idx1 - 1);
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
    if (l->n_cases == UINT32_MAX - 1 || gc_reserve(&l->cases, l->n_cases))
        return -1;
    lcase *c = case_at(l, l->n_cases);
    dd_case_init(&c->c, ev->admdvs, ev->fixmedins_code, ev->setl_id);
    memset(&c->cs, 0, sizeof c->cs);
    c->has_contrib = 0;
    memset(&c->memo, 0, sizeof c->memo);
    c->hosp = hosp->index;
    c->tot1 = 0;
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

/* Totals move by counters(new) - counters(old), each at its own scope. A
 * contribution in scope always has a non-zero counter (settled or
 * reversed), so it always has a row; the case remembers its row, and a new
 * contribution in the same scope (the usual case) reuses it. */
static int move_totals(dd_ledger *l, lcase *c, const dd_contrib *nc)
{
    const ctr_src *oc = &c->cs;
    int old_in = (oc->flags & CF_IN_SCOPE) != 0;
    if (old_in)
        ctr_add_packed(oc, -1, l->tot[c->tot1 - 1].ctr);
    if (!nc->in_scope)
        return 0;
    if (!old_in || oc->insutype != nc->scope.insutype || oc->month != nc->scope.month) {
        ltotal *t = tot_get(l, c->hosp, nc->scope.insutype, nc->scope.month);
        if (!t)
            return -1;
        c->tot1 = (uint32_t)(t - l->tot) + 1;
    }
    dd_contrib_counters_add(nc, +1, l->tot[c->tot1 - 1].ctr);
    return 0;
}

/* The case's current contribution, as stored before the packing: none yet
 * = all zero with reason "" (what a new case starts with); else recomputed
 * from the unchanged state on a copy of the memo (a hit: no grouping). */
static void case_contrib(const dd_ledger *l, const lcase *c, const dd_region *r,
                         const dd_hospital *h, dd_contrib *out)
{
    if (!c->has_contrib) {
        memset(out, 0, sizeof *out);
        out->reason = "";
        return;
    }
    dd_group_memo memo = c->memo;
    dd_case_contribution_at(l->ds, r, h, &c->c, &memo, out);
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
    uint32_t id_tag = (uint32_t)id_hash(ev->event_id, id_len);
    __builtin_prefetch(&l->id_slots[id_tag & l->id_mask]);
    uint32_t c_tag = 0;
    if (dd_event_is_case_event(ev->type)) {
        c_tag = case_tag(ev->setl_id);
        __builtin_prefetch(&l->case_slots[c_tag & l->case_mask]);
    }
    const dd_hospital *hosp;
    if (dd_event_validate_hosp_hint(ev, l->ds, err, &hosp, l->last_hosp)) {
        l->st.bad++;
        l->st.bad_by_reason[err->reason]++;
        return DD_LEDGER_BAD;
    }
    if (hosp)
        l->last_hosp = hosp;
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
    lcase *c = case_at(l, (uint32_t)idx);
    /* the case's hospital and region: what validation found for it */
    const dd_region *reg = dd_dataset_region_at(l->ds, hosp->region);
    dd_contrib oc;
    if (l->fn)
        case_contrib(l, c, reg, hosp, &oc); /* before the state changes */
    int ch = dd_case_apply_alloc(&c->c, ev, seq, codes_alloc, l);
    if (ch < 0)
        goto oom;
    if (ch == 0)
        return DD_LEDGER_APPLIED;
    l->st.changed++;
    dd_contrib nc;
    dd_case_contribution_at(l->ds, reg, hosp, &c->c, &c->memo, &nc);
    if (move_totals(l, c, &nc))
        goto oom;
    if (l->fn)
        l->fn(l->fn_ctx, &c->c, &oc, &nc);
    ctr_pack(&c->cs, &nc);
    c->has_contrib = 1;
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
    return idx >= 0 ? &case_at(l, (uint32_t)idx)->c : NULL;
}

const dd_contrib *dd_ledger_case_contrib(const dd_ledger *l, const dd_case *c)
{
    /* dd_case is the first member of lcase; the answer goes to a small ring
     * of buffers in the ledger (documented in the header) */
    const lcase *lc = (const lcase *)(const void *)c;
    dd_ledger *m = (dd_ledger *)(uintptr_t)l; /* the ring is scratch, not state */
    dd_contrib *out = &m->ring[m->ring_next++ % DD_LEDGER_CONTRIB_RING];
    const dd_hospital *h = dd_dataset_hospital_at(l->ds, lc->hosp);
    case_contrib(l, lc, dd_dataset_region_at(l->ds, h->region), h, out);
    return out;
}

int dd_ledger_case_count(const dd_ledger *l)
{
    return (int)l->n_cases;
}
