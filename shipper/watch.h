/*
 * watch — inotify on the directories the inputs read from, so the shipper
 * reads a line as soon as it is written and finds a new or rotated file at
 * once instead of at the next rescan. The periodic rescan stays as the
 * safety net (file systems without inotify, events lost to queue overflow).
 */
#ifndef SH_WATCH_H
#define SH_WATCH_H

#include <stddef.h>

struct sh_tail;

struct sh_watch {
	int fd; /* -1: inotify unavailable, rely on polling */
	struct sh_wdir {
		int wd;
		char *dir;
	} * v; /* malloc'd, with their dir strings */
	size_t n;
};

#define SH_WATCH_DATA   1 /* a watched file was written */
#define SH_WATCH_LAYOUT 2 /* files appeared, moved or went: rescan now */

/* Returns 0; on failure logs a warning and leaves fd = -1 (polling only). */
int sh_watch_init(struct sh_watch *w);
/* Watches every directory holding a tracked file, and the fixed directory
 * part of every glob. Call after each scan. */
void sh_watch_update(struct sh_watch *w, const struct sh_tail *t);
/* Reads pending events; returns SH_WATCH_* flags. */
int sh_watch_drain(struct sh_watch *w);
void sh_watch_free(struct sh_watch *w);

#endif
