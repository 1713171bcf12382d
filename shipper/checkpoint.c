/*
 * checkpoint — atomic persistence of acknowledged offsets.
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_buf.h"
#include "sl_log.h"
#include "tail.h"

static int mkdirs(const char *dir)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -1;
	return 0;
}

int sh_cp_open(struct sh_checkpoints *cp, const char *state_dir)
{
	memset(cp, 0, sizeof *cp);
	if (mkdirs(state_dir)) {
		sl_error("state_dir %s: cannot create: %s", state_dir, strerror(errno));
		return -1;
	}
	size_t n = strlen(state_dir) + 16;
	cp->path = sl_malloc(n);
	snprintf(cp->path, n, "%s/checkpoints", state_dir);
	FILE *fp = fopen(cp->path, "r");
	if (!fp) {
		if (errno == ENOENT)
			return 0;
		sl_error("%s: cannot open: %s", cp->path, strerror(errno));
		return -1;
	}
	char line[8192];
	int lineno = 0;
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, "sluice-checkpoints 1", 20)) {
				sl_error("%s: not a checkpoint file (version line missing)",
				         cp->path);
				fclose(fp);
				return -1;
			}
			continue;
		}
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		char *end;
		uint64_t off = strtoull(tab + 1, &end, 10);
		if (end == tab + 1)
			continue;
		cp->v = sl_realloc(cp->v, (cp->n + 1) * sizeof *cp->v);
		cp->v[cp->n].identity = sl_strdup(line);
		cp->v[cp->n].offset = off;
		cp->n++;
	}
	fclose(fp);
	sl_info("%s: %zu file checkpoints loaded", cp->path, cp->n);
	return 0;
}

int64_t sh_cp_lookup(const struct sh_checkpoints *cp, const char *identity)
{
	for (size_t i = 0; i < cp->n; i++)
		if (!strcmp(cp->v[i].identity, identity))
			return (int64_t)cp->v[i].offset;
	return -1;
}

void sh_cp_remember(struct sh_checkpoints *cp, const char *identity, uint64_t offset)
{
	for (size_t i = 0; i < cp->n; i++) {
		if (!strcmp(cp->v[i].identity, identity)) {
			cp->v[i].offset = offset;
			return;
		}
	}
	cp->v = sl_realloc(cp->v, (cp->n + 1) * sizeof *cp->v);
	cp->v[cp->n].identity = sl_strdup(identity);
	cp->v[cp->n].offset = offset;
	cp->n++;
}

int sh_cp_write(struct sh_checkpoints *cp, const struct sh_tail *t)
{
	struct sl_buf b = {0};
	sl_buf_puts(&b, "sluice-checkpoints 1\n");
	for (const struct sh_file *f = t->files; f; f = f->next) {
		if (!f->identity[0])
			continue;
		sl_buf_printf(&b, "%s\t%" PRIu64 "\t%s\n", f->identity, f->acked, f->path);
	}
	/* entries loaded at start whose files were not found yet are kept until
	 * the first scan matched them or they proved absent */
	for (size_t i = 0; i < cp->n; i++) {
		int seen = 0;
		for (const struct sh_file *f = t->files; f && !seen; f = f->next)
			seen = !strcmp(f->identity, cp->v[i].identity);
		if (!seen && !t->first_scan_done)
			sl_buf_printf(&b, "%s\t%" PRIu64 "\t-\n", cp->v[i].identity,
			              cp->v[i].offset);
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", cp->path);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto out;
	size_t done = 0;
	while (done < b.len) {
		ssize_t n = write(fd, b.data + done, b.len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) || close(fd))
		goto out;
	if (rename(tmp, cp->path))
		goto out;
	char dir[4200];
	snprintf(dir, sizeof dir, "%s", cp->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (rc)
		sl_error("%s: cannot write checkpoints: %s", cp->path, strerror(errno));
	sl_buf_free(&b);
	return rc;
}

void sh_cp_free(struct sh_checkpoints *cp)
{
	for (size_t i = 0; i < cp->n; i++)
		free(cp->v[i].identity);
	free(cp->v);
	free(cp->path);
	memset(cp, 0, sizeof *cp);
}
