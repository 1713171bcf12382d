/* fuzz_regex — the "regex" parser with a pattern using every group role. */
#define FUZZ_PARSER "regex"
#define FUZZ_OPTIONS                                                                               \
	"{pattern: '^(?<time>\\S+ \\S+) (?<level>\\w+) \\[(?<service>[^\\]]*)\\] "                 \
	"(?<http__status>\\d*) ?(?<flag>true|false)? ?(?<message>.*)$', "                          \
	"types: {http__status: number, flag: bool}, time_format: '%Y-%m-%d %H:%M:%S%f'}"
#include "fuzz_parser.h"
