/*
 * dd_schemas — lookup in the table generated from schemas/<name>.avsc.
 */
#include "dd_schemas.h"

#include <string.h>

const dd_schema_file *dd_schema_find(const char *name)
{
    for (const dd_schema_file *f = dd_schema_files; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}
