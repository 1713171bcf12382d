/* fuzz_auto — the "auto" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "auto"
#include "fuzz_parser.h"
