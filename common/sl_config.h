/*
 * sl_config — YAML configuration: a node tree with line numbers, environment
 * interpolation, and table-driven typed options.
 *
 * sl_cfg_load() parses a YAML file with libyaml into a tree of sl_cfg_node,
 * expanding ${VAR} and ${VAR:-default} in every scalar (an unset VAR without a
 * default expands to ""; "$$" is a literal "$"). Programs then describe their
 * options as const tables of struct sl_opt (key, type, offset into a struct,
 * default, bounds, description) and call sl_cfg_apply() per section. Every
 * error is one line, "file:line: key.path: what is wrong", kept in cfg->err;
 * loading stops at the first.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum sl_cfg_type { SL_CFG_SCALAR, SL_CFG_MAP, SL_CFG_SEQ };

struct sl_cfg_node {
	enum sl_cfg_type type;
	int line;                  /* 1-based line in the file */
	char *key;                 /* the key, when this node is a value in a map */
	char *value;               /* SCALAR: the interpolated text */
	struct sl_cfg_node **kids; /* MAP: values (with key); SEQ: items */
	size_t n;
};

struct sl_cfg {
	char *file;               /* path given to sl_cfg_load, for messages */
	struct sl_cfg_node *root; /* NULL for an empty document */
	char err[1024];           /* the first error, "file:line: key: what" */
};

/* Loads and parses path. Returns 0, or -1 with cfg->err set. Either way free
 * with sl_cfg_free(), which releases the tree and every string in it. */
int sl_cfg_load(struct sl_cfg *cfg, const char *path);
/* The same from memory; name stands for the file in messages. */
int sl_cfg_load_string(struct sl_cfg *cfg, const char *name, const char *text, size_t len);
void sl_cfg_free(struct sl_cfg *cfg);

/* Child of a map by key, or NULL. */
const struct sl_cfg_node *sl_cfg_get(const struct sl_cfg_node *map, const char *key);
/* The node at a dotted path ("api.listen"), or the deepest map on the way
 * that exists, so an error about a missing or derived value still points at
 * the nearest line. */
const struct sl_cfg_node *sl_cfg_find(const struct sl_cfg_node *root, const char *dotted);
/* 1 if two subtrees hold the same keys and values (lines are ignored). */
int sl_cfg_node_equal(const struct sl_cfg_node *a, const struct sl_cfg_node *b);
/* Formats "file:line: path: message" into cfg->err; returns -1. */
int sl_cfg_error(struct sl_cfg *cfg, const struct sl_cfg_node *at, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Expands ${VAR} and ${VAR:-default} in s. Returns a malloc'd string the
 * caller frees, or NULL with *why set to a static message. */
char *sl_cfg_interpolate(const char *s, const char **why);

/* ---- typed option tables ---- */

enum sl_opt_type {
	SL_OPT_END = 0,
	SL_OPT_STR,      /* char *, malloc'd */
	SL_OPT_INT,      /* int64_t */
	SL_OPT_BOOL,     /* int 0/1: true/false/yes/no/on/off */
	SL_OPT_DURATION, /* int64_t milliseconds: 500ms 30s 15m 2h 7d */
	SL_OPT_SIZE,     /* int64_t bytes: 64KiB 10GiB 5MB */
	SL_OPT_ENUM,     /* int: index into choices */
	SL_OPT_STRLIST,  /* struct sl_strlist; a scalar is taken as a list of one */
	SL_OPT_STRMAP,   /* struct sl_strmap: a map of scalars */
	SL_OPT_SECTION,  /* a nested map, described by sub, stored at off */
	SL_OPT_NODE,     /* const struct sl_cfg_node *, borrowed from the tree */
};

#define SL_OPT_REQUIRED 1u

struct sl_strlist {
	char **v; /* malloc'd strings */
	size_t n;
};

struct sl_strmap {
	char **k, **v; /* malloc'd strings, n of each */
	size_t n;
};

struct sl_opt {
	const char *key;
	enum sl_opt_type type;
	size_t off;                 /* offset of the target in the struct */
	const char *def;            /* default, written as in the config; NULL: none */
	int64_t min, max;           /* INT, DURATION, SIZE bounds, used when max > min */
	const char *const *choices; /* ENUM: NULL-terminated names */
	const struct sl_opt *sub;   /* SECTION: its table */
	unsigned flags;             /* SL_OPT_REQUIRED */
	const char *desc;           /* one line, for --help-config and docs */
};

/* Fills target from map (which may be NULL: all defaults) following opts,
 * a table ended by a row with type SL_OPT_END. path is the dotted key of map
 * ("" at the root) used in messages. Unknown keys are errors. Returns 0, or -1
 * with cfg->err set. Strings and lists stored into target are owned by it:
 * release them with sl_opt_free(opts, target). */
int sl_cfg_apply(struct sl_cfg *cfg, const struct sl_cfg_node *map, const char *path,
                 const struct sl_opt *opts, void *target);
void sl_opt_free(const struct sl_opt *opts, void *target);
/* Prints the table as "key  type  default  description" lines, for --help. */
void sl_opt_print(const struct sl_opt *opts, const char *prefix, void *fp);

void sl_strlist_free(struct sl_strlist *l);
void sl_strmap_free(struct sl_strmap *m);

#endif
