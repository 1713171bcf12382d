/* fuzz_syslog — the "syslog" parser on arbitrary records (see fuzz_parser.h). */
#define FUZZ_PARSER "syslog"
#include "fuzz_parser.h"
