/* fuzz_mysql_error — the "mysql_error" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "mysql_error"
#include "fuzz_parser.h"
