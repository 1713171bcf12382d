/* fuzz_apache_error — the "apache_error" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "apache_error"
#include "fuzz_parser.h"
