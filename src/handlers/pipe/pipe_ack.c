/* Acknowledgements: with `ack = true` the worker answers each event with
 * one line on its stdout, "ok <seq>", "retry <seq> [reason]" or
 * "fail <seq> [reason]". Lines that are not an answer for the event in
 * hand (a stale seq, chatter) are logged and skipped. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"

struct verb {
	const char *word;
	enum rtw_result result;
};

static const struct verb verbs[] = {
    {"ok", RTW_OK},
    {"retry", RTW_RETRY},
    {"fail", RTW_FAIL},
};

/* Parses "<verb> <seq>[ <reason>]"; returns the verb's result or -1.
 * *reason points into line (len *reason_len, maybe 0). */
static int parse_ack(const char *line, size_t len, uint64_t *seq,
		     const char **reason, size_t *reason_len)
{
	char buf[48], *end;
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	memcpy(buf, line, n);
	buf[n] = '\0';
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		size_t wl = strlen(verbs[i].word);
		const char *digits = buf + wl + 1;

		if (strncmp(buf, verbs[i].word, wl) != 0 || buf[wl] != ' ' ||
		    *digits < '0' || *digits > '9')
			continue;
		errno = 0;
		*seq = strtoull(digits, &end, 10);
		if (errno != 0 || (*end != '\0' && *end != ' '))
			return -1;
		*reason = line + (size_t)(end - buf);
		*reason_len = len - (size_t)(end - buf);
		while (*reason_len > 0 && **reason == ' ')
			(*reason)++, (*reason_len)--;
		return (int)verbs[i].result;
	}
	return -1;
}

/* Acts on one line; returns the answer for seq, or -1 to read on. */
static int take_line(struct pipe_worker *w, uint64_t seq, const char *line,
		     size_t len, struct rtw_error *err)
{
	char clean[256];
	const char *reason;
	size_t reason_len;
	uint64_t got;
	int result = parse_ack(line, len, &got, &reason, &reason_len);

	if (result < 0 || got != seq) {
		proc_text_clean(clean, sizeof(clean), line, len);
		w->host->log(w->host, RTW_LOG_WARNING,
			     "worker %ld: %s while waiting for event %" PRIu64
			     ": %s",
			     (long)w->p.pid,
			     result < 0 ? "ignoring a line that is no "
					  "acknowledgement"
					: "ignoring an acknowledgement of "
					  "another event",
			     seq, clean);
		return -1;
	}
	if (result != RTW_OK) {
		proc_text_clean(clean, sizeof(clean), reason, reason_len);
		rtw_error_set(err, "worker answered %s%s%s",
			      result == RTW_FAIL ? "fail" : "retry",
			      clean[0] ? ": " : "", clean);
	}
	return result;
}

int pipe_ack_wait(struct pipe_worker *w, uint64_t seq, int64_t deadline_ms,
		  int *exited, struct rtw_error *err)
{
	const char *line;
	size_t len;
	int eof = 0;

	*exited = 0;
	for (;;) {
		struct pollfd pfd = {.fd = w->p.out_fd, .events = POLLIN};
		int64_t left;

		while (pipe_lines_next(&w->acks, eof, &line, &len)) {
			int result = take_line(w, seq, line, len, err);

			if (result >= 0)
				return result;
		}
		if (eof) {
			*exited = 1;
			rtw_error_set(err,
				      "worker closed its output before "
				      "acknowledging event %" PRIu64,
				      seq);
			return -1;
		}
		left = deadline_ms - proc_now_ms();
		if (left <= 0) {
			rtw_error_set(err,
				      "no acknowledgement of event %" PRIu64
				      " in time",
				      seq);
			return -1;
		}
		if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) > 0)
			eof = pipe_lines_fill(&w->acks, w->p.out_fd);
	}
}
