/* Logging to stderr, with journald priority prefixes under systemd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_verbose;
static int log_journal;
static enum log_format log_format = LOG_FORMAT_TEXT;

void log_init(int verbose)
{
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void log_set_format(enum log_format format)
{
	log_format = format;
}

static const char *level_word(enum rtw_log_level level)
{
	switch (level) {
	case RTW_LOG_ERR:
		return "error";
	case RTW_LOG_WARNING:
		return "warning";
	case RTW_LOG_NOTICE:
		return "notice";
	case RTW_LOG_INFO:
		return "info";
	case RTW_LOG_DEBUG:
		return "debug";
	}
	return "log";
}

/* Appends text to out as the inside of a JSON string. Control characters
 * become \u00XX; other bytes pass as they are (messages are UTF-8, and
 * client text was made printable by log_redact_queries). */
static size_t json_escape(char *out, size_t cap, size_t n, const char *text)
{
	for (; *text != '\0' && n + 7 < cap; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return n;
}

/* One JSON object per line: time, level, component (a handler's name, or
 * absent) and message. */
static void write_json(enum rtw_log_level level, const char *prefix,
		       const char *msg)
{
	char line[4608], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(line, sizeof(line),
			     "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",", stamp,
			     ts.tv_nsec / 1000000L, level_word(level));
	if (prefix != NULL) {
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      "\"component\":\"");
		n = json_escape(line, sizeof(line) - 4, n, prefix);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\",");
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"msg\":\"");
	n = json_escape(line, sizeof(line) - 4, n, msg);
	fprintf(stderr, "%s\"}\n", line);
}

static int put_safe(char *dst, size_t dstlen, size_t *o, unsigned char c);

/* Copies src into dst with control characters as \xNN (cut to fit). */
static void escape_controls(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	while (*src != '\0' &&
	       put_safe(dst, cap, &o, (unsigned char)*src) == 0)
		src++;
	dst[o] = '\0';
}

void log_vmsg(enum rtw_log_level level, const char *prefix, const char *fmt,
	      va_list ap)
{
	char msg[2048], safe[2048], line[2304];
	int n = 0;

	if ((level == RTW_LOG_DEBUG && log_verbose < 1) ||
	    (level > RTW_LOG_ERR && log_verbose < 0))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A message may quote what a client or a module chose (an event
	 * type, a handler's reason): no control character reaches the log,
	 * so nobody can forge a line. */
	escape_controls(safe, sizeof(safe), msg);
	if (log_format == LOG_FORMAT_JSON) {
		write_json(level, prefix, safe);
		return;
	}
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	else
		n = snprintf(line, sizeof(line), "rtwebhookd: %s: ",
			     level_word(level));
	if (prefix != NULL && n >= 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, "%s: ", prefix);
	if (n >= 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "%s", safe);
	/* One fputs per line keeps lines from several threads whole. */
	fprintf(stderr, "%s\n", line);
}

void log_msg(enum rtw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(RTW_LOG_WARNING, "%s: %s", msg, strerror(saved));
}

#define LOG_FORWARD(fn, level)                                                 \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vmsg(level, NULL, fmt, ap);                                \
		va_end(ap);                                                    \
	}

LOG_FORWARD(log_warnx, RTW_LOG_WARNING)
LOG_FORWARD(log_info, RTW_LOG_INFO)
LOG_FORWARD(log_debug, RTW_LOG_DEBUG)

/* Writes byte c to dst at *o, as \xNN when it is a control character (a
 * client-chosen newline would forge a log line, an escape sequence would
 * reach the operator's terminal). Returns 0, or -1 when it does not fit. */
static int put_safe(char *dst, size_t dstlen, size_t *o, unsigned char c)
{
	if (c >= 0x20 && c != 0x7f) {
		if (*o + 1 >= dstlen)
			return -1;
		dst[(*o)++] = (char)c;
		return 0;
	}
	if (*o + 4 >= dstlen)
		return -1;
	*o += (size_t)snprintf(dst + *o, dstlen - *o, "\\x%02x", c);
	return 0;
}

void log_redact_queries(char *dst, size_t dstlen, const char *text)
{
	static const char mask[] = "?[redacted]";
	size_t o = 0;

	if (dstlen == 0)
		return;
	while (*text != '\0') {
		if (*text != '?') {
			if (put_safe(dst, dstlen, &o, (unsigned char)*text++))
				break;
			continue;
		}
		for (size_t i = 0; mask[i] != '\0' && o + 1 < dstlen; i++)
			dst[o++] = mask[i];
		while (*text != '\0' && *text != ' ' && *text != '\'' &&
		       *text != '"' && *text != '\n')
			text++;
	}
	dst[o] = '\0';
}
