/* log.c: the daemon's logging vocabulary. Lines go to stderr; under
 * systemd (JOURNAL_STREAM set) they carry sd-daemon "<N>" level prefixes so
 * journald records the priority. Never pass a secret to these functions. */
#ifndef RTW_LOG_H
#define RTW_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "rtwebhookd/handler.h"

/* verbose: 1 adds debug messages, 0 is normal, -1 keeps errors only. */
void log_init(int verbose);

/* text: "rtwebhookd: level: message" (or journald's "<N>message");
 * json: one object per line {"ts","level","component"?,"msg"}. Set once
 * the configuration is read (log.format), before threads start. */
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };
void log_set_format(enum log_format format);
void log_vmsg(enum rtw_log_level level, const char *prefix, const char *fmt,
	      va_list ap) __attribute__((format(printf, 3, 0)));
void log_msg(enum rtw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies text into dst with every URL query string replaced by "?[redacted]"
 * (a query string runs from '?' to the next space or quote) and control
 * characters written as \xNN, so client text cannot forge log lines. Used
 * for anything a client chose (paths, methods) and for messages that may
 * quote a request line, such as libmicrohttpd's own. */
void log_redact_queries(char *dst, size_t dstlen, const char *text);

#endif
