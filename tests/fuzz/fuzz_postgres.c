/* fuzz_postgres — with a prefix using every escape; the "postgres" parser on arbitrary records (see
 * fuzz_parser.h). */
#define FUZZ_PARSER "postgres"
#define FUZZ_OPTIONS                                                                               \
	"{log_line_prefix: \"%m %t %n [%p-%l] %q%u@%d %a %h %r %b %i %e %c %s %v %x %P %Q "        \
	"%%%-10u \"}"
#include "fuzz_parser.h"
