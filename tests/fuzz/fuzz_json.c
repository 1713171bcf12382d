/* fuzz_json — the "json" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "json"
#include "fuzz_parser.h"
