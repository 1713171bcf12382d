/*
 * query — the search query language (first slice).
 *
 *   word            a whole token of `message`, case-insensitive
 *   "a phrase"      consecutive tokens of `message`
 *   field:value     the field's value is exactly value (numbers as written)
 *   field:"a b"     the same with spaces
 *   *               every event
 *   AND             optional between terms; terms are ANDed
 *
 * Errors name the column: "query:1:7: expected a value after ':'".
 */
#ifndef AG_QUERY_H
#define AG_QUERY_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

enum ag_qkind { AG_Q_ALL, AG_Q_PHRASE, AG_Q_FIELD, AG_Q_AND };

struct ag_qnode {
	enum ag_qkind kind;
	char *field;   /* AG_Q_FIELD */
	char *value;   /* AG_Q_FIELD */
	char **tokens; /* AG_Q_PHRASE: lower-cased tokens */
	size_t ntok;
	struct ag_qnode **kids; /* AG_Q_AND */
	size_t n;
};

/* Parses q. Returns the tree (free with ag_query_free) or NULL with a
 * "query:1:COL: message" in err. */
struct ag_qnode *ag_query_parse(const char *q, char *err, size_t errlen);
void ag_query_free(struct ag_qnode *n);
/* 1 if the event (a parsed JSON object) matches. */
int ag_query_match(const struct ag_qnode *n, yajl_val ev);
/* Splits text into the tokens words are matched against: runs of letters,
 * digits, '_' and non-ASCII bytes. Calls fn for each; stops if fn returns 1. */
void ag_tokenize(const char *s, size_t n, int (*fn)(void *, const char *, size_t), void *ud);

#endif
