/*
 * dd_datadir — see dd_datadir.h.
 */
#include "dd_datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dd_file.h"

struct dd_datadir {
    dd_drg_tables *drg;
    dd_dip_classes *classes;
    dd_dataset *ds;
    dd_datadir_stats st;
};

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    long v = 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

long dd_datadir_rss_kb(void)
{
    return status_kb("VmRSS");
}

long dd_datadir_hwm_kb(void)
{
    return status_kb("VmHWM");
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Read `rel` from the override dir when present there, else from the
 * default dir. *used gets the path read (for messages). */
static char *read_layered(dd_datadir *d, const char *override_dir, const char *default_dir,
                          const char *rel, size_t *len, char *used, size_t used_cap,
                          char *errstr, size_t errlen)
{
    char path[4096];
    int from_override = 0;
    if (override_dir) {
        snprintf(path, sizeof path, "%s/%s", override_dir, rel);
        from_override = is_file(path);
    }
    if (!from_override) {
        if (!default_dir) {
            snprintf(errstr, errlen, "%s: not in %s and no default data directory", rel,
                     override_dir ? override_dir : "(none)");
            return NULL;
        }
        snprintf(path, sizeof path, "%s/%s", default_dir, rel);
    }
    snprintf(used, used_cap, "%s", path);
    char *buf = dd_file_read(path, len, errstr, errlen); /* errstr: "PATH: why" */
    if (!buf)
        return NULL;
    d->st.n_files++;
    d->st.n_override += from_override;
    return buf;
}

/* The default layout: region files under <default>/jilin, tables beside. */
static void default_dirs(char *regions_dir, size_t rcap, char *tables_dir, size_t tcap)
{
    const char *base = dd_file_default_data_dir();
    if (!base) {
        regions_dir[0] = tables_dir[0] = '\0';
        return;
    }
    snprintf(tables_dir, tcap, "%s", base);
    snprintf(regions_dir, rcap, "%s/jilin", base);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

dd_datadir *dd_datadir_open(const char *override_dir, char *errstr, size_t errlen)
{
    double t0 = now_ms();
    char rdir[4096], tdir[4096], used[4096], e[512];
    struct stat sb;
    if (override_dir && (stat(override_dir, &sb) || !S_ISDIR(sb.st_mode))) {
        snprintf(errstr, errlen, "--data %s: not a directory", override_dir);
        return NULL;
    }
    default_dirs(rdir, sizeof rdir, tdir, sizeof tdir);
    const char *rd = rdir[0] ? rdir : NULL, *td = tdir[0] ? tdir : NULL;
    dd_datadir *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    d->ds = dd_dataset_new(NULL, NULL);
    if (!d->ds) {
        snprintf(errstr, errlen, "out of memory");
        goto fail;
    }
    size_t len;
    char *buf = read_layered(d, override_dir, rd, "regions.csv", &len, used, sizeof used, errstr,
                             errlen);
    if (!buf)
        goto fail;
    int rc = dd_dataset_load_regions(d->ds, buf, len, e, sizeof e);
    free(buf);
    if (rc) {
        snprintf(errstr, errlen, "%s: %s", used, e);
        goto fail;
    }
    int need_drg = 0, need_dip = 0;
    for (int i = 0; i < dd_dataset_region_count(d->ds); i++) {
        if (dd_dataset_region_at(d->ds, i)->scheme == DD_SCHEME_DRG)
            need_drg = 1;
        else
            need_dip = 1;
    }
    if (need_drg) {
        buf = read_layered(d, override_dir, td, "chs-drg-1.1/chs-drg-1.1.tbl", &len, used,
                           sizeof used, errstr, errlen);
        if (!buf)
            goto fail;
        d->drg = dd_drg_tables_new(buf, len, e, sizeof e);
        free(buf);
        if (!d->drg) {
            snprintf(errstr, errlen, "%s: %s", used, e);
            goto fail;
        }
    }
    if (need_dip) {
        buf = read_layered(d, override_dir, td, "icd/procedure-category.txt", &len, used,
                           sizeof used, errstr, errlen);
        if (!buf)
            goto fail;
        d->classes = dd_dip_classes_new(buf, len, e, sizeof e);
        free(buf);
        if (!d->classes) {
            snprintf(errstr, errlen, "%s: %s", used, e);
            goto fail;
        }
    }
    dd_dataset_set_tables(d->ds, d->drg, d->classes);
    buf = read_layered(d, override_dir, rd, "hospitals.csv", &len, used, sizeof used, errstr,
                       errlen);
    if (!buf)
        goto fail;
    rc = dd_dataset_load_hospitals(d->ds, buf, len, e, sizeof e);
    free(buf);
    if (rc) {
        snprintf(errstr, errlen, "%s: %s", used, e);
        goto fail;
    }
    for (int i = 0; i < dd_dataset_region_count(d->ds); i++) {
        const dd_region *r = dd_dataset_region_at(d->ds, i);
        char rel[64];
        snprintf(rel, sizeof rel, "policy/%s.conf", r->admdvs);
        buf = read_layered(d, override_dir, rd, rel, &len, used, sizeof used, errstr, errlen);
        if (!buf)
            goto fail;
        rc = dd_dataset_load_policy(d->ds, r->admdvs, buf, len, e, sizeof e);
        free(buf);
        if (rc) {
            snprintf(errstr, errlen, "%s: %s", used, e);
            goto fail;
        }
        snprintf(rel, sizeof rel, "%s/%s.csv", r->scheme == DD_SCHEME_DRG ? "drg" : "dip",
                 r->admdvs);
        buf = read_layered(d, override_dir, rd, rel, &len, used, sizeof used, errstr, errlen);
        if (!buf)
            goto fail;
        rc = r->scheme == DD_SCHEME_DRG
                 ? dd_dataset_load_drg_weights(d->ds, r->admdvs, buf, len, e, sizeof e)
                 : dd_dataset_load_dip_library(d->ds, r->admdvs, buf, len, e, sizeof e);
        free(buf);
        if (rc) {
            snprintf(errstr, errlen, "%s: %s", used, e);
            goto fail;
        }
    }
    if (dd_dataset_finish(d->ds, e, sizeof e)) {
        snprintf(errstr, errlen, "data: %s", e);
        goto fail;
    }
    d->st.load_ms = now_ms() - t0;
    d->st.rss_kb = dd_datadir_rss_kb();
    d->st.hwm_kb = dd_datadir_hwm_kb();
    d->st.n_regions = dd_dataset_region_count(d->ds);
    d->st.n_hospitals = dd_dataset_hospital_count(d->ds);
    return d;
fail:
    dd_datadir_close(d);
    return NULL;
}

const dd_dataset *dd_datadir_dataset(const dd_datadir *d)
{
    return d->ds;
}

const dd_datadir_stats *dd_datadir_get_stats(const dd_datadir *d)
{
    return &d->st;
}

void dd_datadir_close(dd_datadir *d)
{
    if (!d)
        return;
    dd_dataset_destroy(d->ds);
    dd_drg_tables_destroy(d->drg);
    dd_dip_classes_destroy(d->classes);
    free(d);
}
