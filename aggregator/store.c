/*
 * store — append-only event file, recovery, index and id set.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "sl_id.h"
#include "sl_log.h"
#include "sl_time.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ag_id_parse(const char *id, uint64_t out[2])
{
	char tmp[SL_ID_HEX];
	if (strlen(id) != 32) {
		sl_id_make("", id, 0, tmp);
		id = tmp;
	}
	out[0] = out[1] = 0;
	for (int i = 0; i < 32; i++) {
		int v = hexval((unsigned char)id[i]);
		if (v < 0) {
			sl_id_make("", id, 0, tmp);
			ag_id_parse(tmp, out);
			return;
		}
		out[i / 16] = (out[i / 16] << 4) | (uint64_t)v;
	}
	if (!out[0] && !out[1])
		out[1] = 1; /* {0,0} marks an empty slot */
}

static void idset_grow(struct ag_idset *set);

static int idset_add(struct ag_idset *set, const uint64_t id[2])
{
	if ((set->n + 1) * 2 > set->cap)
		idset_grow(set);
	size_t mask = set->cap - 1, i = (size_t)(id[0] ^ (id[1] * 0x9E3779B97F4A7C15ULL)) & mask;
	while (set->v[i][0] || set->v[i][1]) {
		if (set->v[i][0] == id[0] && set->v[i][1] == id[1])
			return 1;
		i = (i + 1) & mask;
	}
	set->v[i][0] = id[0];
	set->v[i][1] = id[1];
	set->n++;
	return 0;
}

static void idset_grow(struct ag_idset *set)
{
	struct ag_idset bigger = {.cap = set->cap ? set->cap * 2 : 1 << 16};
	bigger.v = sl_calloc(bigger.cap, sizeof *bigger.v);
	for (size_t i = 0; i < set->cap; i++)
		if (set->v[i][0] || set->v[i][1])
			idset_add(&bigger, set->v[i]);
	free(set->v);
	*set = bigger;
}

int ag_store_check_id(struct ag_store *s, const uint64_t id[2])
{
	if (idset_add(&s->ids, id)) {
		s->dropped_duplicates++;
		return 1;
	}
	return 0;
}

static void index_push(struct ag_store *s, int64_t t, uint64_t off, uint32_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		s->v = sl_realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n].time_ns = t;
	s->v[s->n].off = off;
	s->v[s->n].len = len;
	s->n++;
}

/* Indexes one stored line during recovery. */
static void recover_line(struct ag_store *s, char *line, size_t len, uint64_t off)
{
	char save = line[len];
	line[len] = '\0';
	yajl_val ev = yajl_tree_parse(line, NULL, 0);
	line[len] = save;
	int64_t t = 0;
	if (ev) {
		const char *tp[] = {"time", NULL}, *ip[] = {"id", NULL};
		yajl_val tv = yajl_tree_get(ev, tp, yajl_t_string);
		yajl_val iv = yajl_tree_get(ev, ip, yajl_t_string);
		if (tv)
			sl_time_parse(tv->u.string, strlen(tv->u.string), &t);
		if (iv) {
			uint64_t id[2];
			ag_id_parse(iv->u.string, id);
			idset_add(&s->ids, id);
		}
		yajl_tree_free(ev);
	}
	index_push(s, t, off, (uint32_t)len);
}

int ag_store_open(struct ag_store *s, const char *dir)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	pthread_rwlock_init(&s->lock, NULL);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0750);
			*p = '/';
		}
	}
	if (mkdir(tmp, 0750) && errno != EEXIST) {
		sl_error("storage.dir %s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	size_t n = strlen(dir) + 32;
	s->path = sl_malloc(n);
	snprintf(s->path, n, "%s/events.ndjson", dir);
	s->fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		sl_error("%s: cannot open: %s", s->path, strerror(errno));
		return -1;
	}
	struct stat st;
	fstat(s->fd, &st);
	uint64_t size = (uint64_t)st.st_size, off = 0, good = 0;
	struct sl_buf b = {0};
	char chunk[1 << 16];
	/* read the whole file line by line */
	while (off + b.len < size) {
		ssize_t r = pread(s->fd, chunk, sizeof chunk, (off_t)(off + b.len));
		if (r <= 0)
			break;
		sl_buf_append(&b, chunk, (size_t)r);
		size_t pos = 0;
		char *nl;
		while ((nl = memchr(b.data + pos, '\n', b.len - pos))) {
			size_t len = (size_t)(nl - (b.data + pos));
			recover_line(s, b.data + pos, len, off + pos);
			pos += len + 1;
		}
		off += pos;
		good = off;
		sl_buf_consume(&b, pos);
	}
	sl_buf_free(&b);
	if (good < size) {
		sl_warn("%s: cutting a torn tail of %llu bytes (it was never committed)", s->path,
		        (unsigned long long)(size - good));
		if (ftruncate(s->fd, (off_t)good) || fsync(s->fd)) {
			sl_error("%s: cannot truncate: %s", s->path, strerror(errno));
			return -1;
		}
	}
	s->size = good;
	sl_info("%s: %zu events, %llu bytes", s->path, s->n, (unsigned long long)good);
	return 0;
}

int ag_store_append(struct ag_store *s, const struct sl_buf *lines, const struct ag_entry *e,
                    size_t n)
{
	size_t done = 0;
	while (done < lines->len) {
		ssize_t w =
		    pwrite(s->fd, lines->data + done, lines->len - done, (off_t)(s->size + done));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			sl_error("%s: write failed: %s", s->path, strerror(errno));
			return -1;
		}
		done += (size_t)w;
	}
	if (fdatasync(s->fd)) {
		sl_error("%s: fdatasync failed: %s", s->path, strerror(errno));
		return -1;
	}
	pthread_rwlock_wrlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		index_push(s, e[i].time_ns, s->size + e[i].off, e[i].len);
	s->size += lines->len;
	pthread_rwlock_unlock(&s->lock);
	return 0;
}

int ag_store_read(const struct ag_store *s, size_t i, struct sl_buf *out)
{
	sl_buf_reset(out);
	char *w = sl_buf_reserve(out, s->v[i].len);
	ssize_t r = pread(s->fd, w, s->v[i].len, (off_t)s->v[i].off);
	if (r != (ssize_t)s->v[i].len)
		return -1;
	sl_buf_commit(out, (size_t)r);
	return 0;
}

void ag_store_close(struct ag_store *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->v);
	free(s->ids.v);
	pthread_rwlock_destroy(&s->lock);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}
