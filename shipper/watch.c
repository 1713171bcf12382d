/*
 * watch — inotify directory watches.
 */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "sl_buf.h"
#include "sl_log.h"
#include "tail.h"

int sh_watch_init(struct sh_watch *w)
{
	memset(w, 0, sizeof *w);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		sl_warn("inotify unavailable (%s): finding changes by polling only",
		        strerror(errno));
	return 0;
}

static void add_dir(struct sh_watch *w, const char *dir)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].dir, dir))
			return;
	int wd = inotify_add_watch(w->fd, dir,
	                           IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
	                               IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (wd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			sl_debug("inotify on %s: %s", dir, strerror(errno));
		return;
	}
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].wd == wd)
			return; /* the same directory by another name */
	w->v = sl_realloc(w->v, (w->n + 1) * sizeof *w->v);
	w->v[w->n].wd = wd;
	w->v[w->n].dir = sl_strdup(dir);
	w->n++;
}

/* The directory part of path, or of a glob up to its first wildcard. */
static void dir_of(const char *path, char *out, size_t outlen)
{
	size_t wild = strcspn(path, "*?[{");
	size_t end = wild;
	while (end > 0 && path[end - 1] != '/')
		end--;
	if (end > 1)
		end--; /* drop the slash, keep "/" itself */
	if (end >= outlen)
		end = outlen - 1;
	memcpy(out, path, end);
	out[end] = '\0';
	if (!end)
		strcpy(out, ".");
}

void sh_watch_update(struct sh_watch *w, const struct sh_tail *t)
{
	if (w->fd < 0)
		return;
	char dir[PATH_MAX];
	for (size_t i = 0; i < t->cfg->n_inputs; i++) {
		const struct sh_input *in = &t->cfg->inputs[i];
		for (size_t p = 0; p < in->paths.n; p++) {
			dir_of(in->paths.v[p], dir, sizeof dir);
			add_dir(w, dir);
		}
	}
	for (const struct sh_file *f = t->files; f; f = f->next) {
		if (f->closed)
			continue;
		const char *slash = strrchr(f->path, '/');
		if (!slash)
			continue;
		size_t n = (size_t)(slash - f->path);
		if (n >= sizeof dir)
			continue;
		memcpy(dir, f->path, n);
		dir[n ? n : 1] = '\0';
		if (!n)
			dir[0] = '/';
		add_dir(w, dir);
	}
}

static void forget(struct sh_watch *w, int wd)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].wd == wd) {
			free(w->v[i].dir);
			w->v[i] = w->v[--w->n];
			return;
		}
	}
}

int sh_watch_drain(struct sh_watch *w)
{
	if (w->fd < 0)
		return 0;
	int flags = 0;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				flags |= SH_WATCH_LAYOUT | SH_WATCH_DATA;
			if (ev->mask & IN_MODIFY)
				flags |= SH_WATCH_DATA;
			if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
			                IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF))
				flags |= SH_WATCH_LAYOUT | SH_WATCH_DATA;
			if (ev->mask & IN_IGNORED)
				forget(w, ev->wd);
			p += sizeof *ev + ev->len;
		}
	}
	return flags;
}

void sh_watch_free(struct sh_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].dir);
	free(w->v);
	memset(w, 0, sizeof *w);
	w->fd = -1;
}
