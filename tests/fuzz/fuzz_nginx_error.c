/* fuzz_nginx_error — the "nginx_error" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "nginx_error"
#include "fuzz_parser.h"
