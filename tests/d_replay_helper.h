/*
 * d_replay_helper — shared by the replay tests (0034, 0035): load the golden
 * replay data set, apply JSONL lines in a given order to a ledger, render a
 * scope's snapshot as the SPEC §7 JSON.
 */
#ifndef D_REPLAY_HELPER_H
#define D_REPLAY_HELPER_H

#include <stdlib.h>
#include <string.h>

#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_ledger.h"
#include "dd_snapshot.h"
#include "dd_time.h"

#define D_GOLDEN DD_SHARED_DIR "/golden/replay"

typedef struct {
    char *text;
    size_t len;
    size_t *start, *end; /* non-empty lines */
    size_t n;
} d_lines;

static inline int d_lines_read(d_lines *L, const char *path, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    L->text = dd_file_read(path, &L->len, err, errlen);
    if (!L->text)
        return -1;
    size_t cap = 1;
    for (size_t i = 0; i < L->len; i++)
        cap += L->text[i] == '\n';
    L->start = malloc(cap * sizeof *L->start);
    L->end = malloc(cap * sizeof *L->end);
    if (!L->start || !L->end)
        return -1;
    for (size_t p = 0; p < L->len;) {
        size_t e = p;
        while (e < L->len && L->text[e] != '\n')
            e++;
        size_t q = e;
        while (q > p && (L->text[q - 1] == '\r' || L->text[q - 1] == ' '))
            q--;
        if (q > p) {
            L->start[L->n] = p;
            L->end[L->n] = q;
            L->n++;
        }
        p = e + 1;
    }
    return 0;
}

static inline void d_lines_free(d_lines *L)
{
    free(L->text);
    free(L->start);
    free(L->end);
    memset(L, 0, sizeof *L);
}

/* Apply lines in `order` (NULL: file order). Returns the ledger. */
static inline dd_ledger *d_replay(const dd_dataset *ds, const d_lines *L, const size_t *order)
{
    dd_ledger *l = dd_ledger_new(ds);
    if (!l)
        return NULL;
    for (size_t i = 0; i < L->n; i++) {
        size_t k = order ? order[i] : i;
        dd_event_error e;
        if (dd_ledger_apply_json(l, L->text + L->start[k], L->end[k] - L->start[k], &e) ==
            DD_LEDGER_ERROR) {
            dd_ledger_destroy(l);
            return NULL;
        }
    }
    return l;
}

/* The scope's snapshot JSON (malloc'd, with a trailing newline like the
 * golden files), or NULL. */
static inline char *d_snapshot_json(const dd_ledger *l, const dd_dataset *ds, const char *admdvs,
                             int insutype, const char *month)
{
    int32_t m;
    if (dd_time_parse_month(month, strlen(month), &m))
        return NULL;
    dd_snapshot s;
    if (dd_snapshot_from_ledger(&s, l, ds, admdvs, insutype, m, DD_SNAP_REPLAY))
        return NULL;
    dd_jw w;
    dd_jw_init(&w);
    dd_snapshot_to_json(&s, &w);
    dd_jw_append(&w, "\n", 1);
    dd_snapshot_free(&s);
    if (w.oom) {
        dd_jw_free(&w);
        return NULL;
    }
    char *out = malloc(w.len + 1);
    if (out) {
        memcpy(out, w.buf, w.len);
        out[w.len] = '\0';
    }
    dd_jw_free(&w);
    return out;
}

/* Blank the value of "kind" (compared: everything but kind). */
static inline void d_blank_kind(char *json)
{
    char *p = strstr(json, "\"kind\":\"");
    if (!p)
        return;
    p += 8;
    char *q = p;
    while (*q && *q != '"')
        q++;
    memmove(p, q, strlen(q) + 1);
}

#endif
