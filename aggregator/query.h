/*
 * query — the search query language (docs/searching.md is the reference).
 *
 *   word  "a phrase"  pre*  /regex/   tokens of `message`, any case
 *   field:value  field:"a b"          the field's value exactly (numbers as numbers)
 *   field:pre*  field:/regex/  field:*
 *   field>N  field>=N  field<N  field<=N  field:[a TO b]  field:{a TO b}
 *   _exists_:field                    the field is present
 *   AND  OR  NOT  -term  ( )          NOT binds tightest, then AND, then OR;
 *                                     terms side by side are ANDed
 *   *                                 every event
 *
 * Errors name the line and column: "query:1:17: expected ')'".
 *
 * A parsed query is matched against flattened events (fields.h), and it can
 * tell from a block's token filter whether the block may hold a match
 * (ag_query_may_match), which is how searches skip blocks.
 */
#ifndef AG_QUERY_H
#define AG_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "fields.h"

enum ag_qkind {
	AG_Q_ALL,     /* every event */
	AG_Q_PHRASE,  /* consecutive tokens of message (one token: a word) */
	AG_Q_WPREFIX, /* a token of message starting with value (lower-cased) */
	AG_Q_EQ,      /* field == value */
	AG_Q_PREFIX,  /* field's value text starts with value */
	AG_Q_REGEX,   /* field's value text (message when field is NULL) matches */
	AG_Q_RANGE,   /* field within lo..hi */
	AG_Q_EXISTS,  /* field, or a field under it (field.x), is present */
	AG_Q_AND,
	AG_Q_OR,
	AG_Q_NOT, /* kids[0] */
};

struct ag_qnode {
	enum ag_qkind kind;
	char *field; /* EQ, PREFIX, REGEX (NULL: message), RANGE, EXISTS */
	char *value; /* EQ, PREFIX, WPREFIX, REGEX (the pattern) */
	size_t vlen;
	int is_num;    /* EQ: value is a number; RANGE: both bounds are numbers or open */
	double num;    /* EQ */
	char **tokens; /* PHRASE: lower-cased tokens */
	size_t ntok;
	/* RANGE: a bound is open when its string is NULL */
	char *lo_s, *hi_s;
	double lo, hi;
	int lo_incl, hi_incl;
	void *re, *md;          /* REGEX: pcre2_code, pcre2_match_data (taken while in use) */
	struct ag_qnode **kids; /* AND, OR, NOT */
	size_t n;
};

/* Parses q. Returns the tree (the caller frees it with ag_query_free) or NULL
 * with "query:LINE:COL: message" in err. An empty query matches everything. */
struct ag_qnode *ag_query_parse(const char *q, char *err, size_t errlen);
/* Frees a tree from ag_query_parse; NULL is fine. */
void ag_query_free(struct ag_qnode *n);
/* Builds AND(a, b), taking ownership of both (either may be NULL). */
struct ag_qnode *ag_query_and(struct ag_qnode *a, struct ag_qnode *b);
/* 1 if the flattened event matches. Matching uses the node's regex scratch,
 * so one tree is matched by one thread at a time. */
int ag_query_match_event(const struct ag_qnode *n, const struct ag_event *ev);
/* 1 if the event (a parsed JSON object) matches: flattens it first. */
int ag_query_match(const struct ag_qnode *n, yajl_val ev);
/* 1 if the query can match nothing but events the whole tree matches
 * everything (a `*` query): lets a scan skip parsing. */
int ag_query_is_all(const struct ag_qnode *n);

/* The columns of one block (docs/storage.md, "The columns of a block"):
 * every field name its events have (when complete), and for fields with one
 * scalar value per event and few distinct values, those values and one code
 * per event. */
struct ag_column {
	const char *key; /* NUL-terminated */
	size_t klen;
	int is_col;                  /* else the field is present but not a column */
	const struct ag_field *dict; /* ndict values, each with key set to key */
	size_t ndict;
	const uint8_t *codes; /* per event: 0 the field is absent, i: dict[i - 1];
	                       * NULL until loaded (ag_columns.load) */
};

struct ag_columns {
	struct ag_column *c;
	size_t n;
	int complete; /* every field name of the block's events is in c */
	size_t nev;
	/* sets c->codes of a column whose codes are NULL (read when a query
	 * needs them); returns 0, or -1 (the column then answers nothing) */
	int (*load)(void *ud, struct ag_column *c);
	void *ud;
};

/* Evaluates n over the events of a block from its columns, three-valued:
 * sets bit i of yes when event i certainly matches and of maybe when it may
 * (yes is a subset of maybe; a leaf the columns cannot answer, like a word
 * of a message with many values, is maybe for every event). Each bitmap has
 * (cs->nev + 63) / 64 words. Leaves are answered by ag_query_match_event on
 * each distinct value, so the semantics are the event evaluator's. Uses the
 * nodes' regex scratch like ag_query_match_event. */
void ag_query_columns(const struct ag_qnode *n, const struct ag_columns *cs, uint64_t *yes,
                      uint64_t *maybe);

/* Index keys: every key ag_index_keys gives for an event is put in its
 * frame's filters; ag_query_may_match asks the filters (through test) for
 * the keys a match would need and returns 0 only if no event of the frame
 * can match. The keys of the fields come first, in the fields' order, then
 * the words of message: events with the same fields give their keys at the
 * same places. ag_index_keys returns how many keys of fields it gave (the
 * rest are words); test's word says which kind h is (a frame may keep the
 * two in filters of their own). */
size_t ag_index_keys(const struct ag_event *ev, void (*add)(void *ud, uint64_t h), void *ud);
int ag_query_may_match(const struct ag_qnode *n, int (*test)(void *ud, uint64_t h, int word),
                       void *ud);
/* ag_query_may_match over nw * 64 filters at once: rows(ud, h, word, bits)
 * sets bits (nw words) to the filters that may hold key h, and out gets
 * the filters q may match (the same answer ag_query_may_match gives for
 * each). Allocates scratch only during the call. */
void ag_query_may_bits(const struct ag_qnode *n,
                       void (*rows)(void *ud, uint64_t h, int word, uint64_t *bits), void *ud,
                       uint64_t *out, size_t nw);

/* A cheap test on an event's raw JSON text before it is parsed: the literals
 * every match must contain (tokens case-insensitively, exact values and
 * field names as they are). Valid only for lines without a backslash, where
 * every decoded character is written as itself. */
struct ag_prefilter {
	struct ag_literal {
		char *s;
		size_t n;
		int ci; /* compare ASCII letters case-insensitively */
	} * lit;
	size_t n;
};

/* Fills pf for q (pf->n may be 0: no test). Free with ag_prefilter_free. */
void ag_prefilter_build(const struct ag_qnode *q, struct ag_prefilter *pf);
void ag_prefilter_free(struct ag_prefilter *pf);
/* 0 if line[0..len) cannot match (it has no backslash and lacks a literal),
 * else 1. */
int ag_prefilter_pass(const struct ag_prefilter *pf, const char *line, size_t len);
/* 1 if the literal occurs in s[0..n) (ASCII letters in any case if l->ci). */
int ag_literal_in(const struct ag_literal *l, const char *s, size_t n);
/* Where the literal first occurs in s[0..n), or NULL. */
const char *ag_literal_find(const struct ag_literal *l, const char *s, size_t n);

/* Splits text into the tokens words are matched against: runs of letters,
 * digits, '_' and non-ASCII bytes. Calls fn for each; stops if fn returns 1. */
void ag_tokenize(const char *s, size_t n, int (*fn)(void *, const char *, size_t), void *ud);

#endif
