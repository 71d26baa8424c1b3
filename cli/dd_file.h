/*
 * dd_file — the two file-system helpers every command needs: read a whole
 * file into memory, and find the shipped data directory.
 *
 * Data directory resolution (first that applies):
 *   1. environment variable DRGDIP_DATA (a directory),
 *   2. DD_SOURCE_DATA_DIR, the source tree's data/ (compile-time), when it exists,
 *   3. DD_INSTALL_DATA_DIR, <prefix>/share/drgdip/data (compile-time).
 * Reference tables live under it, e.g. chs-drg-1.1/chs-drg-1.1.tbl.
 */
#ifndef DD_FILE_H
#define DD_FILE_H

#include <stddef.h>

/* Reads the whole file (or "-" for stdin) into a malloc'd buffer with a NUL
 * after the last byte (not counted in *len). NULL on error with
 * "PATH: strerror" in errstr. The caller frees. */
char *dd_file_read(const char *path, size_t *len, char *errstr, size_t errlen);

/* The data directory as above; a static string or getenv()'s, never NULL. */
const char *dd_file_default_data_dir(void);

#endif
