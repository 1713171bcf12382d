/*
 * sl_log — one-line diagnostics on stderr:
 *   2026-11-29T09:26:02.123Z sluice-shipper[42] warn: message
 */
#ifndef SL_LOG_H
#define SL_LOG_H

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };

/* The program name is borrowed, not copied: pass a string literal. */
void sl_log_init(const char *prog, enum sl_log_level min);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int sl_log_level_parse(const char *s);
void sl_log(enum sl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)
#define sl_info(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_error(...) sl_log(SL_LOG_ERROR, __VA_ARGS__)

#endif
