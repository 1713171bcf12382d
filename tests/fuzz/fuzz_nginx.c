/* fuzz_nginx — the "nginx" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "nginx"
#include "fuzz_parser.h"
