/*
 * lpc_sprintf.h - LPC's sprintf()/printf() formatting and the %O dump of
 * any value.
 *
 * Format directives: %[modifiers]conversion, modifiers in any order:
 *
 *   -        left-align in the field (default: right)
 *   |        centre in the field (odd padding: the extra byte goes right)
 *   +  ' '   put '+' / ' ' before non-negative numbers (d i f e g)
 *   n        field width; a leading 0 pads with zeros (numbers: after
 *            the sign, as in C; other values: '0' bytes)
 *   .n       precision: digits after the point for f e (significant
 *            digits for g, default 6); maximum bytes for s (truncates)
 *   :n       width and precision both n
 *   *        (for n) the next argument, an int; a negative width means
 *            left-aligned, a negative precision means none
 *   'str'    pad with str (repeated) instead of spaces; \' and \\ escape
 *   @        the argument is an array: the directive is applied to each
 *            element and the results are concatenated
 *   =        column mode (%s only): the string is word-wrapped to the
 *            width (breaking at spaces, cutting longer words, keeping its
 *            own newlines); the first line goes in place, the others on
 *            the following output lines at the same column once the
 *            format reaches a newline (or its end).  Several column
 *            fields on one line run side by side; the format's other
 *            text on that line is not repeated (spaces instead).
 *   #        table mode (%s only): the string's '\n'-separated words in
 *            columns, top to bottom then left to right; as many columns
 *            of (longest word + 2) as fit in the width, or exactly the
 *            precision; each column width / columns wide.  The rows are
 *            placed like column mode's lines.
 *
 * Conversions: %s (strings as is; numbers as text; other values as %O),
 * %d %i (int), %c (int: the byte of its low 8 bits), %o %x %X (int, as
 * unsigned 64-bit), %f %F %e %E %g %G (float or int), %O (any value, the
 * MudOS dump: nested arrays and mappings one element per line, indented
 * by 2), %%.
 *
 * Too few arguments, a wrong argument type or an unknown conversion is
 * an error; extra arguments are ignored.  Column and table mode do not
 * combine with %@ (an error).
 *
 * %O layout, like MudOS:
 *
 *     ({ /+ sizeof() == 2 +/          (with '*' for '+': C comments)
 *       1,
 *       ([ /+ sizeof() == 1 +/
 *         "a" : 1.5,
 *       ])
 *     })
 *
 * Floats print as string + float does, with ".0" added when that looks
 * like an int ("1.0", "1.5", "1e+20").
 * Empty containers are "({ })" and "([ ])"; strings are quoted with
 * " \ and control bytes escaped (\n \t \r, others \xHH) so the text reads
 * back as an LPC literal; objects print their name ("/obj/x#3"), a
 * destructed object 0, function pointers as "(: name :)".  A container
 * already being printed (a cycle) prints as "({ /+ circular +/ })", and
 * nesting deeper than LPC_SPRINTF_MAX_DEPTH as "({ ... })".
 */
#ifndef LPC_SPRINTF_H
#define LPC_SPRINTF_H

#include <stdbool.h>
#include <stddef.h>

#include "lpc_value.h"

#define LPC_SPRINTF_MAX_DEPTH  64                  /* %O nesting shown */
#define LPC_SPRINTF_MAX_OUTPUT ((size_t)64 << 20)  /* bytes per call */

/*
 * Formats fmt[0..fmtlen) with args[0..nargs) (borrowed), appending to
 * *out.  Never raises an LPC error (so callers holding C memory stay
 * safe): on an error it writes a message ("sprintf: too few arguments
 * ...") into err[0..errsize) and returns false; *out then holds partial
 * output the caller must still free.  The output is limited to
 * LPC_SPRINTF_MAX_OUTPUT bytes (an error past that).
 */
bool lpc_sprintf_format(lpc_strbuf_t *out, const char *fmt, size_t fmtlen,
                        const lpc_value_t *args, int nargs,
                        char *err, size_t errsize);

/*
 * Appends the %O form of v.  `indent` is the column the value starts at
 * (nested lines are indented relative to it; 0 at top level).  Output is
 * cut with "..." past LPC_SPRINTF_MAX_OUTPUT bytes.
 */
void lpc_sprintf_value(lpc_strbuf_t *out, const lpc_value_t *v, int indent);

#endif /* LPC_SPRINTF_H */
