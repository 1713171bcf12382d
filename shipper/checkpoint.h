/*
 * checkpoint — the acknowledged offset of every file identity, kept in
 * <state_dir>/checkpoints. Written atomically: a temp file, fsync, rename,
 * fsync of the directory. Format, one line per file after a version line:
 *   sluice-checkpoints 1
 *   <identity> TAB <offset> TAB <path>
 */
#ifndef SH_CHECKPOINT_H
#define SH_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct sh_tail;

struct sh_cp_entry {
	char *identity;
	uint64_t offset;
};

struct sh_checkpoints {
	char *path; /* <state_dir>/checkpoints, malloc'd */
	struct sh_cp_entry *v;
	size_t n;
};

/* Creates state_dir if needed and loads the checkpoints. Returns 0, or -1
 * with a message logged. Free with sh_cp_free(). */
int sh_cp_open(struct sh_checkpoints *cp, const char *state_dir);
/* The offset saved for identity, or -1 if none. */
int64_t sh_cp_lookup(const struct sh_checkpoints *cp, const char *identity);
/* Records an offset in memory for a file that is let go while its input may
 * pick it up again (a config reload), so the next look-up resumes there. */
void sh_cp_remember(struct sh_checkpoints *cp, const char *identity, uint64_t offset);
/* Writes the acknowledged offsets of every tracked file. Returns 0 or -1. */
int sh_cp_write(struct sh_checkpoints *cp, const struct sh_tail *t);
void sh_cp_free(struct sh_checkpoints *cp);

#endif
