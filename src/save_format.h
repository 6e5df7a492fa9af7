/*
 * save_format.h - the text form of LPC values in save files (the MudOS
 * ".o" format), shared by save_object / restore_object and
 * save_variable / restore_variable (efun_save.c).
 *
 *   int      -12
 *   float    1.5, 1e+300 (always with '.', 'e', "inf" or "nan", so it
 *            reads back as a float; the fewest digits, up to 17, that
 *            read back exactly)
 *   string   "a \"b\" \\ c\n"  escapes \" \\ \n \r \t \0; other bytes
 *            are written as they are.  Reading, a raw carriage return
 *            in a string is a newline (MudOS wrote newlines that way).
 *   array    ({1,"x",({}),})   every element followed by a comma
 *   mapping  (["k":1,2:({}),])
 *   objects, function pointers: written as 0 (they cannot be saved)
 *
 * Nesting deeper than SAVE_FORMAT_MAX_DEPTH is refused both ways (it
 * also stops a cyclic array from looping).
 */
#ifndef NEOLITH_SAVE_FORMAT_H
#define NEOLITH_SAVE_FORMAT_H

#include <stddef.h>

#include "lpc/lpc_value.h"

#define SAVE_FORMAT_MAX_DEPTH 200

/* Appends the text form of v to out.  Returns 0, or -1 with a message
 * in err (nesting too deep; out then holds a partial text). */
int save_format_encode(lpc_strbuf_t *out, const lpc_value_t *v,
                       char *err, size_t errsize);

/* Parses one value from text[*pos .. len).  Returns 0 with the value in
 * *out (owned) and *pos just past it; or -1 with *out int 0 and a
 * message naming the byte offset in err. */
int save_format_decode(const char *text, size_t len, size_t *pos,
                       lpc_value_t *out, char *err, size_t errsize);

#endif /* NEOLITH_SAVE_FORMAT_H */
