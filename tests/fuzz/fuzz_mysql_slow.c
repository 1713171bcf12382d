/* fuzz_mysql_slow — the "mysql_slow" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "mysql_slow"
#include "fuzz_parser.h"
