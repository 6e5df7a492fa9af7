/*
 * lpc_mapping.c - insertion-ordered hash tables from values to values.
 *
 * The design of CPython's dict: entries (key, value) are appended to a
 * dense array in insertion order, and a separate power-of-two index of
 * slots maps hashes to entry numbers by linear probing.
 *
 *   index[]:   { hash, ent }  ent 0 = empty, SLOT_DUMMY = deleted,
 *                             otherwise entry number + 1
 *   entries[]: live entries and tombstones (key.type == KEY_TOMBSTONE),
 *              entries[0 .. used) in insertion order
 *
 * Each index slot keeps the key's 32-bit hash (never 0), so a probe
 * compares hashes inside the index and touches an entry only on a hash
 * match; a deleted slot has hash 0 and so never matches.  Both arrays are
 * one block: index first (8-byte slots), then the entries.
 *
 * Invariants: live + deleted index slots <= used <= usable < slots, so
 * every probe meets an empty slot.  Deleting marks the slot and turns the
 * entry into a tombstone; a tombstone's key and value were released and
 * are int 0.  Tombstones and deleted slots are squeezed out when an insert
 * finds used == usable and the table is rebuilt (at the size that fits
 * 1.5 x the live entries: growing, staying, or shrinking), so a stream
 * of inserts and deletes costs O(1) amortised.
 */
#include "config.h"
#include "lpc/lpc_value.h"

#include <stdlib.h>
#include <string.h>

typedef struct map_slot {
    uint32_t hash;
    uint32_t ent;
} map_slot_t;

typedef struct map_entry {
    lpc_value_t key;
    lpc_value_t value;
} map_entry_t;

struct lpc_mapping {
    uint32_t ref;
    uint32_t count;        /* live entries */
    uint32_t used;         /* entries[0 .. used) are live or tombstones */
    uint32_t usable;       /* room in entries[] */
    size_t mask;           /* index slots - 1; 0 when there is no table */
    map_slot_t *index;     /* the block: NULL until the first insert */
    map_entry_t *entries;  /* inside the block, after the index */
};

#define SLOT_DUMMY UINT32_MAX
#define KEY_TOMBSTONE 0xFE
#define MIN_SLOTS 4
/* The most slots an index may have: entry numbers + 1 must fit in 32 bits
 * below SLOT_DUMMY. */
#define MAX_SLOTS (UINT32_C(1) << 31)

/* Entries that fit in an index of n slots: a load factor of at most 5/8,
 * where linear probing stays short (a miss probes ~3.3 slots on average
 * at the limit, all in the same few cache lines). */
static inline size_t usable_for(size_t slots)
{
    return slots / 8 * 5 + (slots < 8 ? slots / 2 : 0);
}

/* The smallest index (a power of two) with room for n entries. */
static size_t slots_for(size_t n)
{
    size_t slots = MIN_SLOTS;
    while (usable_for(slots) < n) {
        if (slots >= MAX_SLOTS || slots > SIZE_MAX / 2 / (sizeof(map_slot_t) + sizeof(map_entry_t)))
            lpc_fatal_oom(SIZE_MAX);
        slots *= 2;
    }
    return slots;
}

/* lpc_value_hash of a key, without a call for the common cases: ints and
 * strings whose hash is cached.  Never 0. */
static inline uint32_t key_hash(const lpc_value_t *k)
{
    if (k->type == LPC_T_INT)
        return lpc_hash_u64((uint64_t)k->u.i);
    if (k->type == LPC_T_STRING && k->u.s->hash != 0)
        return k->u.s->hash;
    return lpc_value_hash(k);
}

/* lpc_value_equal for keys whose hashes already matched. */
static inline bool key_equal(const lpc_value_t *a, const lpc_value_t *b)
{
    if (a->type != b->type)
        return false;
    switch ((lpc_type_t)a->type) {
    case LPC_T_INT:
        return a->u.i == b->u.i;
    case LPC_T_STRING:
        return a->u.s == b->u.s || lpc_string_equal(a->u.s, b->u.s);
    case LPC_T_FLOAT:
        return lpc_value_equal(a, b);
    default:
        return a->u.p == b->u.p;
    }
}

/* Index position of key (hash h) or SIZE_MAX when absent.  The table must
 * exist. */
static inline size_t map_lookup(const lpc_mapping_t *m, const lpc_value_t *key, uint32_t h)
{
    size_t mask = m->mask, i = h & mask;
    for (;;) {
        map_slot_t s = m->index[i];
        if (s.ent == 0)
            return SIZE_MAX;
        if (s.hash == h && key_equal(&m->entries[s.ent - 1].key, key))
            return i;
        i = (i + 1) & mask;
    }
}

/* Puts (h, entry number e) into the first empty slot of h's probe
 * sequence.  Used where no deleted slot can be on the way. */
static inline void index_place(map_slot_t *index, size_t mask, uint32_t h, uint32_t e)
{
    size_t i = h & mask;
    while (index[i].ent != 0)
        i = (i + 1) & mask;
    index[i].hash = h;
    index[i].ent = e + 1;
}

/* A new block of the given number of slots: a zeroed index followed by
 * room for usable_for(slots) entries. */
static map_slot_t *block_alloc(size_t slots)
{
    size_t usable = usable_for(slots);
    map_slot_t *index = lpc_malloc(slots * sizeof(map_slot_t) + usable * sizeof(map_entry_t));
    memset(index, 0, slots * sizeof(map_slot_t));
    return index;
}

/*
 * Moves the live entries, in order, into a fresh block of the given
 * number of slots (which must have room for them) and frees the old one.
 * No key is hashed again: the old index holds every live key's hash.
 * Without tombstones the entries keep their numbers, so the entries are
 * copied in one piece and the old index is replayed in slot order (for a
 * doubling, slot i lands at i or i + old size: a near-sequential stream).
 * With tombstones each old entry records its new number (written over its
 * value, which has been moved out) for the replay to look up.
 */
static void map_rebuild(lpc_mapping_t *m, size_t slots)
{
    map_slot_t *index = block_alloc(slots);
    map_entry_t *entries = (map_entry_t *)(void *)(index + slots);
    size_t mask = slots - 1;
    uint32_t n = 0;
    if (m->used == m->count) {
        n = m->count;
        if (n)
            memcpy(entries, m->entries, (size_t)n * sizeof *entries);
        for (size_t i = 0; n && i <= m->mask; i++) {
            map_slot_t s = m->index[i];
            if (s.ent != 0 && s.ent != SLOT_DUMMY)
                index_place(index, mask, s.hash, s.ent - 1);
        }
    } else {
        for (uint32_t i = 0; i < m->used; i++) {
            if (m->entries[i].key.type == KEY_TOMBSTONE)
                continue;
            entries[n] = m->entries[i];
            m->entries[i].value.u.i = n++;
        }
        for (size_t i = 0; i <= m->mask; i++) {
            map_slot_t s = m->index[i];
            if (s.ent != 0 && s.ent != SLOT_DUMMY)
                index_place(index, mask, s.hash,
                            (uint32_t)m->entries[s.ent - 1].value.u.i);
        }
    }
    free(m->index);
    m->index = index;
    m->entries = entries;
    m->mask = mask;
    m->usable = (uint32_t)usable_for(slots);
    m->used = n;
    m->count = n;
}

/* Makes sure extra more entries can be appended without a rebuild. */
static void map_reserve(lpc_mapping_t *m, size_t extra)
{
    if ((size_t)m->used + extra > m->usable)
        map_rebuild(m, slots_for((size_t)m->count + extra));
}

/* Appends key (whose reference it takes over) with value int 0 under hash
 * h.  There must be room (used < usable) and key must be absent. */
static inline lpc_value_t *map_append(lpc_mapping_t *m, lpc_value_t key, uint32_t h)
{
    uint32_t e = m->used++;
    map_entry_t *entry = &m->entries[e];
    entry->key = key;
    entry->value = lpc_int(0);
    index_place(m->index, m->mask, h, e);
    m->count++;
    return &entry->value;
}

/* ----------------------------------------------------------- public */

/* Hints above this are cut down to it: allocate_mapping(huge) from LPC
 * code must not be able to take the memory up front (the table still
 * grows to any size by inserting). */
#define MAX_CAPACITY_HINT (UINT32_C(1) << 20)

/*
 * A new empty mapping with room for capacity_hint entries before it first
 * grows.  A hint of 0 allocates no table until the first insert.
 */
lpc_mapping_t *lpc_mapping_new(size_t capacity_hint)
{
    lpc_mapping_t *m = lpc_malloc(sizeof *m);
    m->ref = 1;
    m->count = 0;
    m->used = 0;
    m->usable = 0;
    m->mask = 0;
    m->index = NULL;
    m->entries = NULL;
    if (capacity_hint > MAX_CAPACITY_HINT)
        capacity_hint = MAX_CAPACITY_HINT;
    if (capacity_hint > 0)
        map_rebuild(m, slots_for(capacity_hint));
    return m;
}

size_t lpc_mapping_size(const lpc_mapping_t *m)
{
    return m->count;
}

/* The value slot for key, or NULL (borrowed; valid until m changes). */
lpc_value_t *lpc_mapping_find(lpc_mapping_t *m, const lpc_value_t *key)
{
    if (m->count == 0)
        return NULL;
    size_t i = map_lookup(m, key, key_hash(key));
    return i == SIZE_MAX ? NULL : &m->entries[m->index[i].ent - 1].value;
}

/*
 * The value slot for key, appending (key, int 0) when absent.  The key is
 * copied (with a new reference; an int key loses the undefined flag)
 * before any rebuild, so key may point into m itself.  A deleted slot on
 * the probe path is reused for the new key.
 */
lpc_value_t *lpc_mapping_insert(lpc_mapping_t *m, const lpc_value_t *key)
{
    uint32_t h = key_hash(key);
    if (m->index != NULL) {
        size_t mask = m->mask, i = h & mask, dummy = SIZE_MAX;
        for (;;) {
            map_slot_t s = m->index[i];
            if (s.ent == 0)
                break;
            if (s.hash == h && key_equal(&m->entries[s.ent - 1].key, key))
                return &m->entries[s.ent - 1].value;
            if (s.ent == SLOT_DUMMY && dummy == SIZE_MAX)
                dummy = i;
            i = (i + 1) & mask;
        }
        if (m->used < m->usable) {
            if (dummy != SIZE_MAX)
                i = dummy;
            uint32_t e = m->used++;
            m->index[i].hash = h;
            m->index[i].ent = e + 1;
            map_entry_t *entry = &m->entries[e];
            entry->key = *key;
            entry->key.flags = 0;
            lpc_value_incref(&entry->key);
            entry->value = lpc_int(0);
            m->count++;
            return &entry->value;
        }
    }
    lpc_value_t k = *key;
    k.flags = 0;
    lpc_value_incref(&k);
    map_rebuild(m, slots_for((size_t)m->count + m->count / 2 + 1));
    return map_append(m, k, h);
}

/*
 * m[key] = value.  value is copied with its new reference taken before
 * the insert, which may rebuild the table under a value pointer that
 * came from m.
 */
void lpc_mapping_set(lpc_mapping_t *m, const lpc_value_t *key, const lpc_value_t *value)
{
    lpc_value_t v = *value;
    lpc_value_incref(&v);
    lpc_value_t *slot = lpc_mapping_insert(m, key);
    lpc_value_t old = *slot;
    *slot = v;
    lpc_value_release(&old);
}

/*
 * Removes key; returns whether it was there.  The table is updated before
 * the key and value are released, so whatever their freeing does sees a
 * consistent mapping.  A small table whose last entry goes is reset in
 * place, so a mapping used as a scratch set does not fill with
 * tombstones.
 */
bool lpc_mapping_delete(lpc_mapping_t *m, const lpc_value_t *key)
{
    if (m->count == 0)
        return false;
    size_t i = map_lookup(m, key, key_hash(key));
    if (i == SIZE_MAX)
        return false;
    map_entry_t *entry = &m->entries[m->index[i].ent - 1];
    lpc_value_t k = entry->key, v = entry->value;
    m->index[i].hash = 0;
    m->index[i].ent = SLOT_DUMMY;
    entry->key = lpc_int(0);
    entry->key.type = KEY_TOMBSTONE;
    entry->value = lpc_int(0);
    m->count--;
    if (m->count == 0 && m->mask < 64) {
        memset(m->index, 0, (m->mask + 1) * sizeof(map_slot_t));
        m->used = 0;
    }
    lpc_value_release(&k);
    lpc_value_release(&v);
    return true;
}

/*
 * A new mapping with m's entries, each key and value with a new reference.
 * One block copied as it is (index and entries, tombstones included:
 * entry numbers stay valid), then every live key and value incref'd.
 */
lpc_mapping_t *lpc_mapping_copy(const lpc_mapping_t *m)
{
    lpc_mapping_t *r = lpc_mapping_new(0);
    if (m->count == 0)
        return r;
    size_t slots = m->mask + 1;
    r->index = lpc_malloc(slots * sizeof(map_slot_t) + (size_t)m->usable * sizeof(map_entry_t));
    r->entries = (map_entry_t *)(void *)(r->index + slots);
    memcpy(r->index, m->index, slots * sizeof(map_slot_t));
    memcpy(r->entries, m->entries, (size_t)m->used * sizeof(map_entry_t));
    r->mask = m->mask;
    r->usable = m->usable;
    r->used = m->used;
    r->count = m->count;
    for (uint32_t i = 0; i < r->used; i++) {
        if (r->entries[i].key.type == KEY_TOMBSTONE)
            continue;
        lpc_value_incref(&r->entries[i].key);
        lpc_value_incref(&r->entries[i].value);
    }
    return r;
}

/*
 * a + b: a copy of a, made big enough once, then b's entries set over it
 * (a key of both keeps a's position and takes b's value; b's new keys
 * follow in b's order).
 */
lpc_mapping_t *lpc_mapping_union(const lpc_mapping_t *a, const lpc_mapping_t *b)
{
    lpc_mapping_t *r = lpc_mapping_copy(a);
    if (b->count == 0)
        return r;
    map_reserve(r, b->count);
    for (uint32_t i = 0; i < b->used; i++) {
        const map_entry_t *e = &b->entries[i];
        if (e->key.type != KEY_TOMBSTONE)
            lpc_mapping_set(r, &e->key, &e->value);
    }
    return r;
}

/* New array of the keys (which == 0) or values (which == 1) in order. */
static lpc_array_t *map_column(const lpc_mapping_t *m, int which)
{
    lpc_array_t *r = lpc_array_alloc(m->count);
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->used; i++) {
        const map_entry_t *e = &m->entries[i];
        if (e->key.type == KEY_TOMBSTONE)
            continue;
        r->items[n] = which ? e->value : e->key;
        lpc_value_incref(&r->items[n++]);
    }
    return r;
}

lpc_array_t *lpc_mapping_keys(const lpc_mapping_t *m)
{
    return map_column(m, 0);
}

lpc_array_t *lpc_mapping_values(const lpc_mapping_t *m)
{
    return map_column(m, 1);
}

/*
 * Iteration in insertion order: *cursor is an entry number; tombstones
 * are skipped.  key and value are borrowed.
 */
bool lpc_mapping_next(const lpc_mapping_t *m, size_t *cursor,
                      const lpc_value_t **key, lpc_value_t **value)
{
    while (*cursor < m->used) {
        map_entry_t *e = &m->entries[(*cursor)++];
        if (e->key.type == KEY_TOMBSTONE)
            continue;
        *key = &e->key;
        *value = &e->value;
        return true;
    }
    return false;
}

void lpc_mapping_incref(lpc_mapping_t *m)
{
    m->ref++;
}

/*
 * Drops a reference; the last one releases every live key and value and
 * frees the table, through the depth-bounded free of lpc_value.c.
 */
void lpc_mapping_decref(lpc_mapping_t *m)
{
    if (--m->ref != 0)
        return;
    if (!lpc_value_free_begin(m, true))
        return;
    for (uint32_t i = 0; i < m->used; i++) {
        map_entry_t *e = &m->entries[i];
        if (e->key.type == KEY_TOMBSTONE)
            continue;
        if (e->key.type > LPC_T_FLOAT)
            lpc_value_release_heap(&e->key);
        if (e->value.type > LPC_T_FLOAT)
            lpc_value_release_heap(&e->value);
    }
    free(m->index);
    free(m);
    lpc_value_free_end();
}
