/*
 * dd_group — loading the CHS-DRG table file for the CLI (cmd_group.c):
 * --tables FILE, else <dd_file_default_data_dir()>/chs-drg-1.1/chs-drg-1.1.tbl.
 */
#ifndef DD_GROUP_H
#define DD_GROUP_H

#include "dd_drg.h"

/* path NULL = the default table file. NULL after a message on stderr. */
dd_drg_tables *dd_group_load_tables(const char *path);

#endif
