/* fuzz_apache — the "apache" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "apache"
#include "fuzz_parser.h"
