/*
 * sl_time — wall-clock time, RFC 3339 formatting and parsing, and the
 * duration ("500ms", "30s", "15m", "2h", "7d", "1h30m") and size ("64KiB",
 * "10GiB", "5MB", "100") notations of the config files and the CLI.
 */
#ifndef SL_TIME_H
#define SL_TIME_H

#include <stddef.h>
#include <stdint.h>

#define SL_TIME_LEN 31 /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" + NUL */

/* Nanoseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t sl_time_now_ns(void);
/* Milliseconds from CLOCK_MONOTONIC, for intervals and timeouts. */
int64_t sl_mono_ms(void);
/* Writes RFC 3339 UTC with nanoseconds into out (SL_TIME_LEN bytes); returns
 * the length (30). */
size_t sl_time_format(int64_t ns, char *out);
/* Parses RFC 3339 (also with a space for 'T', 1-9 fraction digits, 'Z' or
 * +hh:mm / -hh:mm / +hhmm), years 1678-2261 (what int64 nanoseconds hold).
 * Returns 0 and sets *ns, or -1. */
int sl_time_parse(const char *s, size_t n, int64_t *ns);
/* a / b rounded down (toward minus infinity), b != 0: the step a time in
 * ns falls in, before the epoch too. */
int64_t sl_floordiv(int64_t a, int64_t b);
/* Days from 1970-01-01 to y-m-d (proleptic Gregorian calendar). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Parses a duration into milliseconds. Returns 0, or -1 if malformed. */
int sl_duration_parse(const char *s, int64_t *ms);
/* Parses a size into bytes (K/M/G/T with B = 1000s, KiB/MiB/GiB/TiB = 1024s).
 * Returns 0, or -1 if malformed. */
int sl_size_parse(const char *s, int64_t *bytes);

#endif
