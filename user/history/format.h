/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * format.h - the history database's on-disk encodings: categories,
 * posting attributes and entries, a block's directory, event ids.
 */
#ifndef HOSTRAIL_HISTORY_FORMAT_H
#define HOSTRAIL_HISTORY_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "history/rows.h"

/* eventCategory as stored in a block's directory. */
enum { HR_CAT_MANAGEMENT = 0, HR_CAT_DATA = 1, HR_CAT_INSIGHT = 2, HR_CAT_OTHER = 3 };

/*
 * Posting attributes (postings.a): the LookupEvents attributes keep their
 * enum hr_lookup_attr numbers, plus the Insight category, which
 * --event-category insight walks. Part of the on-disk format.
 */
#define HR_POSTING_INSIGHT   16
#define HR_ATTR_EVENT_ID_SQL "1"
_Static_assert(HR_ATTR_EVENT_ID == 1, "HR_ATTR_EVENT_ID_SQL");

/* A block's records span at most this many seconds (tmax - tmin): a
 * record at time t is in a block whose tmax is in [t, t + SPAN]. */
#define HR_HISTORY_BLOCK_SPAN 300
/* postings.p = tmax >> 16: partitions of about 18 hours. */
#define HR_HISTORY_PART_SHIFT 16
static inline int64_t hr_history_part(int64_t tmax)
{
	return tmax >> HR_HISTORY_PART_SHIFT;
}

/*
 * A postings row lists blocks of one time window (tmax >> WINDOW_SHIFT):
 * the row's tmax (its newest block's) is less than an entry's tmax + 4096.
 * An entry: ENTRY bytes, big-endian blk - row blk (u32), row tmax - tmax
 * (u32), the mask of the block's records that have the value (u32).
 */
#define HR_HISTORY_WINDOW_SHIFT 12
#define HR_HISTORY_WINDOW	(1 << HR_HISTORY_WINDOW_SHIFT)
#define HR_HISTORY_ENTRY	12

static inline uint32_t hr_history_get32(const unsigned char *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static inline void hr_history_put32(unsigned char *d, uint32_t v)
{
	d[0] = v >> 24;
	d[1] = v >> 16;
	d[2] = v >> 8;
	d[3] = v;
}

/* One record in a block's directory: DIR_ENTRY bytes, big-endian
 * dt (u32), off (u32), len (u32), category (u8). */
#define HR_HISTORY_DIR_ENTRY 13
struct hr_dir_entry {
	int64_t t, off, len;
	int cat;
};

static inline void hr_history_dir_get(const unsigned char *d, int64_t tmin, struct hr_dir_entry *e)
{
	e->t = tmin + hr_history_get32(d);
	e->off = hr_history_get32(d + 4);
	e->len = hr_history_get32(d + 8);
	e->cat = d[12];
}

/* The event id as a posting value: 16 bytes for a UUID (into uuid), else
 * the text. Returns its length; *v points at it. */
size_t hr_history_id_value(const char *event_id, unsigned char uuid[16], const void **v);

/* An event's id from its block and place in it, and back. */
#define HR_HISTORY_BLOCK_SHIFT 6 /* event id = block id << SHIFT | place */
static inline int64_t hr_history_event_pos(int64_t blk, size_t place)
{
	return blk << HR_HISTORY_BLOCK_SHIFT | (int64_t)place;
}

static inline int64_t hr_history_event_block(int64_t id)
{
	return id >> HR_HISTORY_BLOCK_SHIFT;
}

#endif
