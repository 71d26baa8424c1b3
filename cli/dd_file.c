/* dd_file — see dd_file.h. */
#include "dd_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef DD_SOURCE_DATA_DIR
#define DD_SOURCE_DATA_DIR "data"
#endif
#ifndef DD_INSTALL_DATA_DIR
#define DD_INSTALL_DATA_DIR "/usr/local/share/drgdip/data"
#endif

char *dd_file_read(const char *path, size_t *len, char *errstr, size_t errlen)
{
    int is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    struct stat st;
    /* Size the buffer once for regular files; grow for pipes. */
    if (!is_stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(errstr, errlen, "%s: out of memory", path);
        if (!is_stdin)
            fclose(f);
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                snprintf(errstr, errlen, "%s: out of memory", path);
                if (!is_stdin)
                    fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    int saved = errno;
    if (!is_stdin)
        fclose(f);
    if (bad) {
        free(buf);
        snprintf(errstr, errlen, "%s: %s", path, strerror(saved));
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *dd_file_default_data_dir(void)
{
    const char *env = getenv("DRGDIP_DATA");
    if (env && *env)
        return env;
    struct stat st;
    if (stat(DD_SOURCE_DATA_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return DD_SOURCE_DATA_DIR;
    return DD_INSTALL_DATA_DIR;
}
