/* fuzz_docker — the "docker" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "docker"
#include "fuzz_parser.h"
