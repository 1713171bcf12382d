/*
 * plain — a text line is the message; a level word near the start sets the
 * level: an upper-case word among the first four ("ERROR ...",
 * "2026-... INFO ..."), a bracketed one ("[warn] ...", "<error>") or a first
 * word with a colon ("error: ..."). Ordinary
 * words like "fine" or "alert" in a sentence do not count.
 */
#include <ctype.h>

#include "parser.h"

static void *plain_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	return &dummy;
}

/* Looks at the first few words for a level name. */
static enum sl_level guess_level(const char *s, size_t n)
{
	size_t i = 0;
	for (int word = 0; word < 4 && i < n; word++) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		int bracket = i < n && (s[i] == '[' || s[i] == '<');
		if (bracket)
			i++;
		size_t st = i;
		int upper = 1;
		while (i < n && isalpha((unsigned char)s[i])) {
			upper &= isupper((unsigned char)s[i]) != 0;
			i++;
		}
		size_t len = i - st;
		if (bracket)
			bracket = i < n && (s[i] == ']' || s[i] == '>');
		int first_colon = word == 0 && i < n && s[i] == ':';
		if (len >= 4 && len <= 8 && (upper || bracket || first_colon)) {
			enum sl_level l = sl_level_parse(s + st, len);
			if (l != SL_LEVEL_NONE)
				return l;
		}
		while (i < n && !isspace((unsigned char)s[i]))
			i++;
	}
	return SL_LEVEL_NONE;
}

static int plain_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	sl_event_set_message(ev, rec, len);
	ev->level = guess_level(rec, len);
	return 0;
}

static void plain_destroy(void *state)
{
}

const struct sl_parser_ops sl_parser_plain = {
    .name = "plain",
    .desc = "the line is the message; a leading level word sets the level",
    .create = plain_create,
    .parse = plain_parse,
    .destroy = plain_destroy,
};
