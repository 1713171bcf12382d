/* fuzz_postgres_json — the "postgres_json" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "postgres_json"
#include "fuzz_parser.h"
