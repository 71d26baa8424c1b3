# Turns schemas/*.avsc into one C source so the code reads the very files
# that are shipped (no hand-copied schema text). Run by the build:
#   cmake -DDD_SCHEMA_DIR=<schemas dir> -DDD_OUT=<file.c> -P embed.cmake
# Each file NAME.avsc becomes `const char dd_schema_NAME[]` (NUL-terminated,
# '-' -> '_') and `const size_t dd_schema_NAME_len` (bytes, without the NUL),
# and an entry of the NULL-terminated table `dd_schema_files[]`.
if(NOT DD_SCHEMA_DIR OR NOT DD_OUT)
  message(FATAL_ERROR "usage: cmake -DDD_SCHEMA_DIR=dir -DDD_OUT=file.c -P embed.cmake")
endif()
file(GLOB files "${DD_SCHEMA_DIR}/*.avsc")
list(SORT files)
set(out "/* Generated from the schemas/ directory by schemas/embed.cmake: do not edit. */\n")
string(APPEND out "#include <stddef.h>\n#include \"dd_schemas.h\"\n\n")
set(table "")
foreach(f ${files})
  get_filename_component(base "${f}" NAME_WE)
  string(REPLACE "-" "_" ident "${base}")
  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # One C line per line of the schema file.
  string(REPLACE "0x0a," "0x0a,\n  " bytes "${bytes}")
  string(APPEND out "/* ${base}.avsc */\nconst char dd_schema_${ident}[] = {\n  ${bytes}0x00};\n")
  string(APPEND out "const size_t dd_schema_${ident}_len = ${len};\n\n")
  string(APPEND table "    {\"${base}\", dd_schema_${ident}, ${len}},\n")
endforeach()
string(APPEND out "const dd_schema_file dd_schema_files[] = {\n${table}    {NULL, NULL, 0}\n};\n")
# Only touch the output when it changed, so dependants do not rebuild.
if(EXISTS "${DD_OUT}")
  file(READ "${DD_OUT}" old)
  if(old STREQUAL out)
    return()
  endif()
endif()
file(WRITE "${DD_OUT}" "${out}")
