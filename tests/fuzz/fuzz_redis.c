/* fuzz_redis — the "redis" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "redis"
#include "fuzz_parser.h"
