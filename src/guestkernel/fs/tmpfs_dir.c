/*
 * tmpfs_dir.c - the directories of the guest's /tmp: entries, the keyed
 * name hash, lookups, getdents.
 *
 * Layer src/guestkernel/fs, under tmpfs.c and the walker (namei.c). A
 * directory's entries are a vector in creation order (the order getdents
 * sees, the seq numbers its offsets are) with an open-addressing hash
 * index by name, at least half empty; removed entries are tombstones
 * until the vector is compacted. Every byte is charged to the kernel-heap
 * budget (gk_kmem_charge).
 *
 * Must not: name a host file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"

/*
 * SipHash-1-3 of a name under the kernel's secret key: directory lookups
 * (tmpfs, the dcache) hash guest-chosen names, and a keyed hash keeps them
 * from being made to collide.
 */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

uint64_t
gk_name_hash(const struct gk_kernel *k, const char *s, size_t len)
{
	const uint64_t *key = k->name_key;
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL, v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL, v3 = key[1] ^ 0x7465646279746573ULL;
	uint64_t m;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (; i < len; i++)
		m |= (uint64_t)(uint8_t)s[i] << (8 * (i % 8));
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Point the hash index of d at entry i (slots for every entry, tombstones included). */
static void
hash_put(struct gk_tnode *d, size_t i)
{
	size_t h = d->ents[i].hash & (d->hcap - 1);

	while (d->hash[h])
		h = (h + 1) & (d->hcap - 1);
	d->hash[h] = (uint32_t)(i + 1);
}

/*
 * Drop d's tombstones (keeping the order, so getdents offsets, which are
 * seqs, stay valid) and rebuild its hash index with hcap slots.
 */
static int
dir_rebuild(struct gk_kernel *k, struct gk_tnode *d, size_t hcap)
{
	uint32_t *h;
	size_t i, j;

	if (hcap != d->hcap) {
		if (hcap > d->hcap && gk_kmem_charge(k, (hcap - d->hcap) * sizeof(*h)) < 0)
			return -ENOSPC;
		h = calloc(hcap, sizeof(*h));
		if (!h) {
			if (hcap > d->hcap)
				gk_kmem_uncharge(k, (hcap - d->hcap) * sizeof(*h));
			return -ENOMEM;
		}
		if (hcap < d->hcap)
			gk_kmem_uncharge(k, (d->hcap - hcap) * sizeof(*h));
		free(d->hash);
		d->hash = h;
		d->hcap = hcap;
	} else {
		memset(d->hash, 0, d->hcap * sizeof(*d->hash));
	}
	for (i = j = 0; i < d->nents; i++)
		if (d->ents[i].name)
			d->ents[j++] = d->ents[i];
	d->nents = j;
	for (i = 0; i < d->nents; i++)
		hash_put(d, i);
	return 0;
}

/* The index in d->ents of the entry name[0..len), or -1. */
long
gk_tdir_find(struct gk_kernel *k, struct gk_tnode *d, const char *name, size_t len)
{
	uint64_t hv;
	size_t h;

	k->tmpfs_lookups++;
	if (!d->hcap)
		return -1;
	hv = gk_name_hash(k, name, len);
	for (h = hv & (d->hcap - 1); d->hash[h]; h = (h + 1) & (d->hcap - 1)) {
		const struct gk_tdirent *e = &d->ents[d->hash[h] - 1];

		k->tmpfs_probes++;
		if (e->name && e->hash == hv && e->len == len && memcmp(e->name, name, len) == 0)
			return (long)(d->hash[h] - 1);
	}
	return -1;
}

int
gk_tdir_add(struct gk_kernel *k, struct gk_tnode *d, const char *name, struct gk_tnode *n)
{
	size_t len = strlen(name);
	struct gk_tdirent *e;
	int err;

	if (len > 255)
		return -ENAMETOOLONG;
	if (d->nents == d->cap && d->nents - d->nlive > d->nents / 2) {
		err = dir_rebuild(k, d, d->hcap);
		if (err < 0)
			return err;
	}
	if (d->nents == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 2;

		if (cap > UINT32_MAX - 1)
			return -ENOSPC;
		if (gk_kmem_charge(k, (cap - d->cap) * sizeof(*e)) < 0)
			return -ENOSPC;
		e = realloc(d->ents, cap * sizeof(*e));
		if (!e) {
			gk_kmem_uncharge(k, (cap - d->cap) * sizeof(*e));
			return -ENOMEM;
		}
		d->ents = e;
		d->cap = cap;
	}
	/* The index keeps at least half its slots empty, so chains stay short. */
	if (2 * (d->nents + 1) > d->hcap) {
		err = dir_rebuild(k, d, d->cap * 2 > 4 ? d->cap * 2 : 4);
		if (err < 0)
			return err;
	}
	if (gk_kmem_charge(k, len + 1) < 0)
		return -ENOSPC;
	e = &d->ents[d->nents];
	e->name = strdup(name);
	if (!e->name) {
		gk_kmem_uncharge(k, len + 1);
		return -ENOMEM;
	}
	e->len = len;
	e->hash = gk_name_hash(k, name, len);
	e->node = n;
	e->seq = d->next_seq++;
	hash_put(d, d->nents);
	d->nents++;
	d->nlive++;
	n->nlink++;
	if (S_ISDIR(n->mode)) {
		d->nlink++;
		n->parent = d;
	}
	d->mtime = d->ctime = gk_tmpfs_now();
	return 0;
}

/* Remove entry i of d; the node goes once nothing holds it. */
void
gk_tdir_remove(struct gk_kernel *k, struct gk_tnode *d, long i)
{
	struct gk_tdirent *e = &d->ents[i];
	struct gk_tnode *n = e->node;

	gk_kmem_uncharge(k, e->len + 1);
	free(e->name);
	e->name = NULL;
	e->node = NULL;
	d->nlive--;
	n->nlink -= S_ISDIR(n->mode) ? 2 : 1;
	if (S_ISDIR(n->mode))
		d->nlink--;
	/* A removed directory (not one being renamed) has no parent: d may go first. */
	if (S_ISDIR(n->mode) && n->nlink == 0)
		n->parent = NULL;
	n->ctime = d->mtime = d->ctime = gk_tmpfs_now();
	gk_tnode_maybe_free(k, n);
	/* Mostly tombstones: compact (cannot fail: the index keeps its size). */
	if (d->nents - d->nlive > 64 && d->nents - d->nlive > d->nlive)
		dir_rebuild(k, d, d->hcap);
}

/* gk_tmpfs_child - the node named name[0..len) in directory d, or NULL. */
struct gk_tnode *
gk_tmpfs_child(struct gk_kernel *k, struct gk_tnode *d, const char *name, size_t len)
{
	long i;

	if (!S_ISDIR(d->mode))
		return NULL;
	i = gk_tdir_find(k, d, name, len);
	return i < 0 ? NULL : d->ents[i].node;
}

/*
 * Unlink everything under directory top (at exit). Each entry goes as an
 * unlink would: a node linked twice goes with its last link, never twice.
 * Iterative, last entry first, since a guest chooses how deep directories
 * nest and the tracer's stack is not that deep.
 */
void
gk_tmpfs_tree_free(struct gk_kernel *k, struct gk_tnode *top)
{
	struct gk_tnode *d = top;

	for (;;) {
		struct gk_tdirent *e;
		struct gk_tnode *c;

		while (d->nents > 0 && !d->ents[d->nents - 1].name)
			d->nents--;
		if (d->nents == 0) {
			if (d == top)
				return;
			d = d->parent;
			continue;
		}
		e = &d->ents[d->nents - 1];
		c = e->node;
		if (S_ISDIR(c->mode) && c->nlive > 0) {
			d = c;
			continue;
		}
		gk_kmem_uncharge(k, e->len + 1);
		free(e->name);
		e->name = NULL;
		e->node = NULL;
		d->nents--;
		d->nlive--;
		c->nlink -= S_ISDIR(c->mode) ? 2 : 1;
		if (S_ISDIR(c->mode)) {
			d->nlink--;
			c->parent = NULL;
		}
		gk_tnode_maybe_free(k, c);
	}
}

/* Append one linux_dirent64 with d_off next to buf if it fits in room; its size or 0. */
static size_t
dirent_put(char *buf, size_t room, const char *name, size_t nl, unsigned type, uint64_t ino,
	   int64_t next)
{
	size_t rec = (19 + nl + 1 + 7) & ~(size_t)7;
	uint16_t reclen = (uint16_t)rec;

	if (rec > room)
		return 0;
	memset(buf, 0, rec);
	memcpy(buf, &ino, 8);
	memcpy(buf + 8, &next, 8);
	memcpy(buf + 16, &reclen, 2);
	buf[18] = (char)type;
	memcpy(buf + 19, name, nl);
	return rec;
}

/*
 * gk_tmpfs_getdents - getdents64 of an open tmpfs directory into guest
 * [gva, gva+len), from the directory as it is now. The file position is a
 * cookie: 0 for ".", 1 for "..", else the seq of the next entry to return;
 * each record's d_off is the cookie after it. Entries keep their seq for
 * life, so an offset from telldir stays valid whatever is created or
 * removed meanwhile, and no entry present throughout is skipped or repeated.
 * Returns bytes stored, 0 at the end, -EINVAL (buffer too small), -EFAULT.
 */
long
gk_tmpfs_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	struct gk_tnode *d = f->tnode;
	char buf[65536];
	size_t done = 0, r, lo = 0, hi;
	uint64_t pos = f->pos < 0 ? 0 : (uint64_t)f->pos;
	int full = 0;

	if (d->nlink == 0)
		return -ENOENT; /* removed: Linux's dcache_readdir gives nothing, getdents ENOENT */
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (pos == 0) {
		r = dirent_put(buf, len, ".", 1, DT_DIR, d->ino, 1);
		if (!r)
			return -EINVAL;
		done += r;
		pos = 1;
	}
	if (pos == 1) {
		r = dirent_put(buf + done, len - done, "..", 2, DT_DIR,
			       d->parent ? d->parent->ino : 1, 2);
		if (!r) {
			full = 1;
			goto out;
		}
		done += r;
		pos = 2;
	}
	/* The first entry with seq >= pos: ents are in seq order. */
	lo = 0;
	hi = d->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->ents[mid].seq < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->nents; lo++) {
		const struct gk_tdirent *e = &d->ents[lo];
		const struct gk_tnode *c = e->node;

		if (!e->name)
			continue;
		r = dirent_put(buf + done, len - done, e->name, e->len,
			       S_ISDIR(c->mode)	  ? DT_DIR
			       : S_ISLNK(c->mode) ? DT_LNK
						  : DT_REG,
			       c->ino, (int64_t)(e->seq + 1));
		if (!r) {
			full = 1;
			break;
		}
		done += r;
		pos = e->seq + 1;
	}
	if (!full)
		pos = d->next_seq;
out:
	if (done == 0 && full)
		return -EINVAL;
	if (done > 0 && gk_copyout(p, gva, buf, done) < 0)
		return -EFAULT;
	f->pos = (off_t)pos;
	return (long)done;
}
