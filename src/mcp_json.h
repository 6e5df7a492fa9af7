/*
 * mcp_json.h - JSON helpers of the Model Context Protocol server: UTF-8
 * repair, the wire encoding of one message, base64, and the subset of
 * JSON Schema the server checks tool arguments and results against.
 *
 * Everything here is pure (no globals, no I/O) and may be called from
 * any thread on objects that thread owns.  jansson objects are not
 * locked: a json_t is used by one thread at a time (see the ownership
 * notes in mcp_transport.h).
 */
#ifndef NEOLITH_MCP_JSON_H
#define NEOLITH_MCP_JSON_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

/* Request ids up to 2^63 - 1 must round-trip exactly (checklist B1). */
_Static_assert(sizeof(json_int_t) >= 8, "jansson must use 64-bit integers "
               "(JSON_INTEGER_IS_LONG_LONG) for MCP request ids");

/* ---- UTF-8 ----------------------------------------------------------- */

/* True when s[0..len) is valid UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF).  NUL bytes are valid characters here: JSON
 * escapes them. */
bool   mcp_utf8_is_valid(const char *s, size_t len);

/* A malloc'd copy of s[0..len) with every byte that does not start or
 * continue a valid sequence replaced by U+FFFD (EF BF BD), NUL-terminated;
 * its length in *out_len.  LPC strings may hold Latin-1 or raw bytes: this
 * is how they become protocol text (checklist A3).  NULL on out of
 * memory. */
char  *mcp_utf8_repair(const char *s, size_t len, size_t *out_len);

/* The largest n <= max such that s[0..n) does not end inside a multi-byte
 * sequence (s is valid UTF-8).  Used to cut long text without breaking a
 * character. */
size_t mcp_utf8_cut(const char *s, size_t len, size_t max);

/* A new JSON string from arbitrary bytes (repaired as above; NUL bytes
 * kept).  NULL only on out of memory. */
json_t *mcp_json_text(const char *s, size_t len);

/* ---- the wire form of one message ------------------------------------ */

/* Serialises msg as ONE line: compact JSON (no newline can appear: jansson
 * escapes control characters, ESC included, inside strings), valid UTF-8
 * (a string or key built with a jansson _nocheck call and holding invalid
 * bytes is repaired on a copy), followed by a single '\n'.  Returns a malloc'd buffer of *len bytes (not
 * NUL-terminated beyond that), or NULL on out of memory or an unencodable
 * value.  msg is not modified. */
char  *mcp_json_encode_line(const json_t *msg, size_t *len);

/* ---- base64 ---------------------------------------------------------- */

/* Standard (RFC 4648 section 4, with padding) or URL-safe (section 5,
 * without padding) base64 of data[0..len), NUL-terminated, malloc'd. */
char  *mcp_base64_encode(const void *data, size_t len, bool url_safe);

/* Decodes URL-safe base64 without padding (what mcp_base64_encode(..,
 * true) writes) into a malloc'd NUL-terminated buffer; NULL when s is not
 * such an encoding. */
char  *mcp_base64url_decode(const char *s, size_t *out_len);

/* ---- JSON Schema subset ---------------------------------------------- */

/*
 * Checks value against schema and returns true when it conforms.  On
 * failure, err receives one line naming the place and the problem:
 * "arguments.steps: expected an integer, got a string".  `where` names the
 * root ("arguments", "structuredContent").
 *
 * The subset: type (a name or a list of names), properties, required,
 * additionalProperties (false or a schema), items (a schema), enum,
 * const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength,
 * maxLength (counted in characters), minItems, maxItems.  Every other
 * keyword (anyOf, $ref, pattern, format, ...) is accepted without being
 * checked: the client or the provider has the last word on those.  A
 * schema that is not an object (or is `true`) accepts everything;
 * `false` accepts nothing.
 */
bool   mcp_schema_check(const json_t *schema, const json_t *value,
                        const char *where, char *err, size_t err_size);

#endif /* NEOLITH_MCP_JSON_H */
