/* fuzz_cri — the "cri" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "cri"
#include "fuzz_parser.h"
