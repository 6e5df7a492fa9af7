/*
 * lpc_ast.c - the AST arena (lpc_ast.h).
 *
 * Chunks of 32 KiB (or one larger chunk for a large request), freed
 * together: the AST of one file lives exactly as long as its compile.
 */
#include "lpc_ast.h"
#include "lpc_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AST_CHUNK_SIZE 32768

struct lpc_ast_chunk {
    struct lpc_ast_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

void *lpc_ast_alloc(lpc_ast_t *ast, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct lpc_ast_chunk *c = ast->arena;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > AST_CHUNK_SIZE ? size : AST_CHUNK_SIZE;
        c = lpc_malloc(sizeof *c + cap);
        c->next = ast->arena;
        c->used = 0;
        c->cap = cap;
        ast->arena = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

lpc_node_t *lpc_ast_node(lpc_ast_t *ast, lpc_node_kind_t kind,
                         const lpc_srcloc_t *loc)
{
    lpc_node_t *n = lpc_ast_alloc(ast, sizeof *n);
    n->kind = (uint8_t)kind;
    if (loc != NULL)
        n->loc = *loc;
    return n;
}

void lpc_ast_free(lpc_ast_t *ast)
{
    struct lpc_ast_chunk *c = ast->arena;
    while (c != NULL) {
        struct lpc_ast_chunk *next = c->next;
        free(c);
        c = next;
    }
    ast->arena = NULL;
    ast->decls = NULL;
}

int lpc_ast_list_length(const lpc_node_t *list)
{
    int n = 0;
    for (; list != NULL; list = list->next)
        n++;
    return n;
}

const char *lpc_dtype_name(uint16_t type, char *buf, size_t size)
{
    static const char *const names[] = {
        "unknown", "void", "int", "float", "string", "object", "mapping",
        "function", "mixed", "status"
    };
    unsigned base = LPC_DTYPE_BASE(type);
    unsigned depth = LPC_DTYPE_DEPTH(type);
    const char *name = base < sizeof names / sizeof names[0] ? names[base] : "?";
    size_t n = (size_t)snprintf(buf, size, "%s%s", name, depth ? " " : "");
    for (unsigned i = 0; i < depth && n + 1 < size; i++)
        buf[n++] = '*';
    if (n < size)
        buf[n] = '\0';
    return buf;
}
