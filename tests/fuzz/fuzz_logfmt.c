/* fuzz_logfmt — the "logfmt" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "logfmt"
#include "fuzz_parser.h"
