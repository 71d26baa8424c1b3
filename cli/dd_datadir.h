/*
 * dd_datadir — load a dd_dataset from data directories (SPEC §9).
 *
 * The shipped default (dd_file_default_data_dir(): data/jilin/ for the
 * region files, data/chs-drg-1.1/chs-drg-1.1.tbl and
 * data/icd/procedure-category.txt for the reference tables) is overridden
 * FILE BY FILE by a directory given with --data: each of regions.csv,
 * hospitals.csv, policy/<admdvs>.conf, drg/<admdvs>.csv, dip/<admdvs>.csv,
 * chs-drg-1.1/chs-drg-1.1.tbl and icd/procedure-category.txt is taken from
 * the override directory when it exists there, else from the default. The
 * DRG tables are loaded only when a region uses DRG, the procedure classes
 * only when one uses DIP.
 */
#ifndef DD_DATADIR_H
#define DD_DATADIR_H

#include <stddef.h>

#include "dd_refdata.h"

typedef struct dd_datadir dd_datadir;

typedef struct {
    double load_ms;  /* wall time of dd_datadir_open */
    long rss_kb;     /* VmRSS after loading (0 when unknown) */
    long hwm_kb;     /* VmHWM (peak) after loading */
    int n_regions, n_hospitals;
    int n_files;     /* files read */
    int n_override;  /* of which from the override directory */
} dd_datadir_stats;

/* override_dir may be NULL. NULL on error with a message naming the file. */
dd_datadir *dd_datadir_open(const char *override_dir, char *errstr, size_t errlen);
const dd_dataset *dd_datadir_dataset(const dd_datadir *d);
const dd_datadir_stats *dd_datadir_get_stats(const dd_datadir *d);
void dd_datadir_close(dd_datadir *d);

/* VmRSS / VmHWM of this process in kB from /proc/self/status (0 if unknown). */
long dd_datadir_rss_kb(void);
long dd_datadir_hwm_kb(void);

#endif
