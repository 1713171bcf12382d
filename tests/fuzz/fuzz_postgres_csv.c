/* fuzz_postgres_csv — the "postgres_csv" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "postgres_csv"
#include "fuzz_parser.h"
