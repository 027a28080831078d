// SPDX-License-Identifier: MIT
/*
 * The kernel's types that the BPF programs read through CO-RE, cut out of the kernel's BTF for
 * libbpf to relocate against (btf_custom_path).
 *
 * libbpf finds each relocated type by scanning every type of the kernel's BTF, some 150,000,
 * once per type: about 10 ms of profd's start-up for seven types. One pass here finds them all;
 * libbpf then scans a few hundred. A struct keeps every member at its offset, each member's
 * type as far as a relocation compares it (bpf_core_fields_are_compat): integers, enums, arrays
 * and embedded structs whole, pointers as void *. What is absent here is absent in the kernel,
 * so bpf_core_field_exists() answers as it would against the whole BTF.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "common/log.h"
#include "profiler/sampling_internal.h"

#define NAMES_SLOTS 512 /* a power of 2, at least twice the struct names of the BPF object */
#define DEPTH_MAX 64	/* types within types; the kernel's nest far less */
#define ROOTS_MAX 512	/* kernel structs of those names (a name can have several) */

/* The struct and union names to keep: a set of the local names' essential parts. */
struct names {
	const char *name[NAMES_SLOTS];
	size_t len[NAMES_SLOTS];
	size_t count;
};

/* The kernel's BTF, mapped or read, and the types written so far. */
struct kernel_btf {
	const uint8_t *raw;
	size_t raw_size;
	bool mapped;
	const uint8_t *types; /* the type section */
	size_t types_len;
	const char *strs;
	size_t strs_len;
	uint32_t *at;	 /* offset in types of each type id; id 0 is void */
	uint32_t ntypes; /* ids 1 to ntypes - 1 */
	uint32_t *out;	 /* each id's id in btf once written, 0 before */
	struct btf *btf; /* what is written */
	int void_ptr;
	int depth; /* of write_type()'s recursion: embedded structs nest a few deep */
};

/* Of the length and the first bytes only: the pass hashes the name of every struct. */
static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)len;

	for (size_t i = 0; i < len && i < 8; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Up to "___", which CO-RE ignores: task_struct___old is task_struct. */
static size_t essential_len(const char *name)
{
	const char *cut = strstr(name, "___");

	return cut ? (size_t)(cut - name) : strlen(name);
}

/* False when the set is half full: a name left out would be a type libbpf cannot find. */
static bool names_add(struct names *n, const char *name)
{
	size_t len = essential_len(name);
	uint32_t i = hash_name(name, len);

	for (;; i++) {
		i &= NAMES_SLOTS - 1;
		if (!n->name[i])
			break;
		if (n->len[i] == len && !memcmp(n->name[i], name, len))
			return true;
	}
	if (n->count == NAMES_SLOTS / 2)
		return false;
	n->name[i] = name;
	n->len[i] = len;
	n->count++;
	return true;
}

static bool names_has(const struct names *n, const char *name)
{
	size_t len = strlen(name);
	uint32_t i = hash_name(name, len);

	for (;; i++) {
		i &= NAMES_SLOTS - 1;
		if (!n->name[i])
			return false;
		if (n->len[i] == len && !memcmp(n->name[i], name, len))
			return true;
	}
}

/*
 * Bytes that follow a type's struct btf_type: fixed, plus per_item times its vlen, by kind (a
 * table, not a switch: the pass looks at every type, of kinds in no order). fixed -1: a kind
 * this does not know.
 */
static const struct {
	int8_t fixed, per_item;
} trailer[32] = {
	[0] = {-1, 0}, /* BTF_KIND_UNKN */
	[BTF_KIND_INT] = {4, 0},
	[BTF_KIND_PTR] = {0, 0},
	[BTF_KIND_ARRAY] = {sizeof(struct btf_array), 0},
	[BTF_KIND_STRUCT] = {0, sizeof(struct btf_member)},
	[BTF_KIND_UNION] = {0, sizeof(struct btf_member)},
	[BTF_KIND_ENUM] = {0, sizeof(struct btf_enum)},
	[BTF_KIND_FWD] = {0, 0},
	[BTF_KIND_TYPEDEF] = {0, 0},
	[BTF_KIND_VOLATILE] = {0, 0},
	[BTF_KIND_CONST] = {0, 0},
	[BTF_KIND_RESTRICT] = {0, 0},
	[BTF_KIND_FUNC] = {0, 0},
	[BTF_KIND_FUNC_PROTO] = {0, sizeof(struct btf_param)},
	[BTF_KIND_VAR] = {4, 0},
	[BTF_KIND_DATASEC] = {0, sizeof(struct btf_var_secinfo)},
	[BTF_KIND_FLOAT] = {0, 0},
	[BTF_KIND_DECL_TAG] = {4, 0},
	[BTF_KIND_TYPE_TAG] = {0, 0},
	[BTF_KIND_ENUM64] = {0, sizeof(struct btf_enum64)},
	[BTF_KIND_ENUM64 + 1 ... 31] = {-1, 0},
};

static long extra_bytes(const struct btf_type *t)
{
	uint32_t kind = BTF_INFO_KIND(t->info);

	return trailer[kind].fixed < 0 ? -1
				       : trailer[kind].fixed +
						 (long)trailer[kind].per_item * BTF_INFO_VLEN(t->info);
}

static const struct btf_type *type_of(const struct kernel_btf *k, uint32_t id)
{
	return (const struct btf_type *)(k->types + k->at[id]);
}

static const char *name_of(const struct kernel_btf *k, uint32_t off)
{
	return off < k->strs_len ? k->strs + off : "";
}

/* The kernel's BTF: mapped where the kernel allows it (6.16 and later), read otherwise. */
static int load_raw(struct kernel_btf *k)
{
	int fd = open(PROF_KERNEL_BTF, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	uint8_t *buf;
	size_t done;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		err = -EINVAL;
		goto out;
	}
	k->raw_size = (size_t)st.st_size;
	k->raw = mmap(NULL, k->raw_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	k->mapped = k->raw != MAP_FAILED;
	if (k->mapped)
		goto out;
	k->raw = buf = malloc(k->raw_size);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (done = 0; done < k->raw_size;) {
		ssize_t n = read(fd, buf + done, k->raw_size - done);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += (size_t)n;
	}
out:
	close(fd);
	return err;
}

/* Checks the header and notes where each type starts. */
static int index_types(struct kernel_btf *k, const struct names *want, uint32_t **roots,
		       uint32_t *nroots)
{
	const struct btf_header *h = (const struct btf_header *)k->raw;
	size_t cap, off;
	uint32_t id = 1, nr = 0;

	if (k->raw_size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > k->raw_size ||
	    h->type_off > k->raw_size - h->hdr_len ||
	    h->type_len > k->raw_size - h->hdr_len - h->type_off ||
	    h->str_off > k->raw_size - h->hdr_len ||
	    h->str_len > k->raw_size - h->hdr_len - h->str_off)
		return -EPROTO;
	k->types = k->raw + h->hdr_len + h->type_off;
	k->types_len = h->type_len;
	k->strs = (const char *)k->raw + h->hdr_len + h->str_off;
	k->strs_len = h->str_len;
	if (!k->strs_len || k->strs[k->strs_len - 1])
		return -EPROTO;
	cap = k->types_len / sizeof(struct btf_type) + 1;
	k->at = malloc(cap * sizeof(*k->at));
	*roots = malloc(ROOTS_MAX * sizeof(**roots));
	if (!k->at || !*roots)
		return -ENOMEM;
	for (off = 0; off < k->types_len; id++) {
		const struct btf_type *t = (const struct btf_type *)(k->types + off);
		uint32_t kind;
		long extra;

		if (k->types_len - off < sizeof(*t) || id >= cap)
			return -EPROTO;
		extra = extra_bytes(t);
		if (extra < 0 || (size_t)extra > k->types_len - off - sizeof(*t))
			return -EPROTO;
		k->at[id] = (uint32_t)off;
		kind = BTF_INFO_KIND(t->info);
		if ((kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) && t->name_off &&
		    names_has(want, name_of(k, t->name_off))) {
			if (nr == ROOTS_MAX)
				return -E2BIG;
			(*roots)[nr++] = id;
		}
		off += sizeof(*t) + (size_t)extra;
	}
	k->ntypes = id;
	*nroots = nr;
	k->out = calloc(k->ntypes, sizeof(*k->out));
	return k->out ? 0 : -ENOMEM;
}

static int write_type(struct kernel_btf *k, uint32_t id);

/* A struct or union: its members' types first, since its fields must follow it directly. */
static int write_composite(struct kernel_btf *k, const struct btf_type *t)
{
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	uint32_t vlen = BTF_INFO_VLEN(t->info);
	bool kflag = BTF_INFO_KFLAG(t->info);
	int *types = malloc((vlen ? vlen : 1) * sizeof(*types)), id, err = 0;

	if (!types)
		return -ENOMEM;
	for (uint32_t i = 0; i < vlen && err >= 0; i++)
		err = types[i] = write_type(k, m[i].type);
	if (err < 0)
		goto out;
	id = BTF_INFO_KIND(t->info) == BTF_KIND_UNION
		     ? btf__add_union(k->btf, name_of(k, t->name_off), t->size)
		     : btf__add_struct(k->btf, name_of(k, t->name_off), t->size);
	for (uint32_t i = 0; i < vlen && id >= 0; i++) {
		uint32_t bit_off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		uint32_t bits = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;

		err = btf__add_field(k->btf, name_of(k, m[i].name_off), types[i], bit_off, bits);
		if (err < 0)
			id = err;
	}
	err = id;
out:
	free(types);
	return err;
}

static int write_enum(struct kernel_btf *k, const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);
	const char *name = name_of(k, t->name_off);
	int id, err = 0;

	if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM) {
		const struct btf_enum *e = (const struct btf_enum *)(t + 1);

		id = btf__add_enum(k->btf, name, t->size);
		for (uint32_t i = 0; i < vlen && err >= 0; i++)
			err = btf__add_enum_value(k->btf, name_of(k, e[i].name_off), e[i].val);
	} else {
		const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1);

		id = btf__add_enum64(k->btf, name, t->size, BTF_INFO_KFLAG(t->info));
		for (uint32_t i = 0; i < vlen && err >= 0; i++)
			err = btf__add_enum64_value(k->btf, name_of(k, e[i].name_off),
						    (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32);
	}
	return err < 0 ? err : id;
}

/* Writes kernel type id (once), returning its id in the new BTF. */
static int write_type(struct kernel_btf *k, uint32_t id)
{
	const struct btf_type *t;
	const struct btf_array *a;
	int r, elem, index;

	if (id == 0)
		return 0;
	if (id >= k->ntypes)
		return -EPROTO;
	if (k->out[id])
		return (int)k->out[id];
	if (k->depth == DEPTH_MAX)
		return -ELOOP;
	k->depth++;
	t = type_of(k, id);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG: /* CO-RE looks through these */
		r = write_type(k, t->type);
		break;
	case BTF_KIND_TYPEDEF:
		r = write_type(k, t->type);
		r = r < 0 ? r : btf__add_typedef(k->btf, name_of(k, t->name_off), r);
		break;
	case BTF_KIND_PTR: /* any pointer matches any pointer */
		if (!k->void_ptr)
			k->void_ptr = btf__add_ptr(k->btf, 0);
		r = k->void_ptr;
		break;
	case BTF_KIND_INT: {
		uint32_t enc = *(const uint32_t *)(t + 1);

		r = btf__add_int(k->btf, name_of(k, t->name_off), t->size, BTF_INT_ENCODING(enc));
		break;
	}
	case BTF_KIND_FLOAT:
		r = btf__add_float(k->btf, name_of(k, t->name_off), t->size);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		r = write_enum(k, t);
		break;
	case BTF_KIND_ARRAY:
		a = (const struct btf_array *)(t + 1);
		elem = write_type(k, a->type);
		index = elem < 0 ? elem : write_type(k, a->index_type);
		r = index < 0 ? index : btf__add_array(k->btf, index, elem, a->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		r = write_composite(k, t);
		break;
	case BTF_KIND_FWD:
		r = btf__add_fwd(k->btf, name_of(k, t->name_off),
				 BTF_INFO_KFLAG(t->info) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	default: /* functions, variables, sections: no member has such a type */
		r = -EPROTO;
	}
	k->depth--;
	if (r > 0)
		k->out[id] = (uint32_t)r;
	return r;
}

/* The essential names of local's structs and unions: those CO-RE may look for. */
static int local_names(const struct btf *local, struct names *want)
{
	uint32_t n = btf__type_cnt(local);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(local, id);

		if (btf_is_composite(t) && t->name_off &&
		    !names_add(want, btf__name_by_offset(local, t->name_off)))
			return -E2BIG;
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t size)
{
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, (const char *)data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int prof_kernel_types__write(int fd, const struct btf *local)
{
	struct kernel_btf k = {0};
	struct names want = {0};
	uint32_t *roots = NULL, nroots = 0;
	const void *data;
	uint32_t size;
	int err;

	err = local_names(local, &want);
	err = err ?: load_raw(&k);
	err = err ?: index_types(&k, &want, &roots, &nroots);
	if (!err) {
		k.btf = btf__new_empty();
		err = k.btf ? 0 : -ENOMEM;
	}
	for (uint32_t i = 0; i < nroots && !err; i++) {
		int r = write_type(&k, roots[i]);

		err = r < 0 ? r : 0;
	}
	data = err ? NULL : btf__raw_data(k.btf, &size);
	if (!err)
		err = data ? write_all(fd, data, size) : -ENOMEM;
	if (!err)
		pr_debug("bpf: %u kernel types for CO-RE, of %u", btf__type_cnt(k.btf) - 1,
			 k.ntypes - 1);
	btf__free(k.btf);
	free(roots);
	free(k.out);
	free(k.at);
	if (k.mapped)
		munmap((void *)k.raw, k.raw_size);
	else
		free((void *)k.raw);
	return err;
}
