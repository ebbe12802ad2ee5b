/* flaky: a test handler whose downstream can be down, refuse events or be
 * slow, so the delivery tests can drive every answer of the handler ABI
 * through the real daemon.
 *
 * Config (all optional except out):
 *   out = "FILE"        one line appended per event handled OK:
 *                       "<seq> <bot_id> <type> <text>\n", where text is the
 *                       transcript's words joined with spaces, the chat
 *                       message's text, or the relative timestamp ("%.3f"),
 *                       "-" when the event has none of them
 *   retry_bot = "B"     while down_file exists, events of bot B get RETRY
 *   down_file = "PATH"
 *   fail_bot = "F"      events of bot F get FAIL, "flaky: refusing <seq>"
 *   sleep_ms = N        each handle first sleeps N ms (and, when N > 0,
 *                       logs "begin <seq> <bot> <type> <text>" before it)
 *   show_key = true     text is the event's dedup_key instead
 *   batch = true        lines are kept in memory and handle answers
 *                       PENDING; flush writes and syncs them (ABI 1.2)
 *   flush_down_file = "PATH"  while it exists, flush answers RETRY
 *   retry_after_ms = N  each RETRY asks for this delay (host->retry_after)
 *   init_sleep_ms = N   init sleeps N ms before it returns
 *
 * Thread-safe (declares RTW_HANDLER_THREAD_SAFE): the sleep runs unlocked,
 * the output write under the instance's mutex. The host promises never to
 * run handle for one bot on two workers at once; flaky checks it and, when
 * broken, writes "! concurrent <bot> <seq>" to out (tests look for "!").
 * init logs "flaky: init, writing to <out>" and fini "flaky: fini" (the
 * reload tests count them), and whether it runs with SIGTERM blocked.
 * fini logs "flaky: at most N event(s) handled at once", which shows
 * whether several workers really ran. No globals: two instances coexist. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtwebhookd/handler.h"

/* More than the host's maximum of 64 workers. */
#define FLAKY_MAX_BUSY 128

struct flaky {
	const struct rtw_host *host;
	pthread_mutex_t lock;
	int fd;
	char *retry_bot;
	char *down_file;
	char *fail_bot;
	long sleep_ms;
	int show_key;
	long retry_after_ms;
	int batch;
	char *flush_down_file;
	char *pending; /* batched lines (under lock) */
	size_t pending_len;
	/* Bots whose event is being handled right now (under lock). */
	const char *busy[FLAKY_MAX_BUSY];
	int inflight, max_inflight;
};

static const char *const known_keys[] = {
	"out",	    "retry_bot", "down_file",	    "fail_bot", "sleep_ms",
	"show_key", "batch",	 "flush_down_file", "retry_after_ms",
	"init_sleep_ms", NULL};

static int check_keys(const json_t *config, struct rtw_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)config, key, value)
	{
		size_t i = 0;

		while (known_keys[i] != NULL && strcmp(known_keys[i], key) != 0)
			i++;
		if (known_keys[i] == NULL) {
			rtw_error_set(err,
				      "unknown key '%s' in config (flaky "
				      "takes: out, retry_bot, down_file, "
				      "fail_bot, sleep_ms, show_key, batch, "
				      "flush_down_file, retry_after_ms)",
				      key);
			return -1;
		}
	}
	return 0;
}

/* A copy of the string member key, or NULL when absent. -1 when present
 * but not a string (or out of memory). */
static int string_member(const json_t *config, const char *key, char **out,
			 struct rtw_error *err)
{
	const json_t *v = json_object_get(config, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		rtw_error_set(err, "'%s' must be a string", key);
		return -1;
	}
	*out = strdup(json_string_value(v));
	if (*out == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static void flaky_fini(void *state)
{
	struct flaky *f = state;

	if (f == NULL)
		return;
	if (f->max_inflight > 0)
		f->host->log(f->host, RTW_LOG_NOTICE,
			     "flaky: at most %d event(s) handled at once",
			     f->max_inflight);
	f->host->log(f->host, RTW_LOG_INFO, "flaky: fini");
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f->retry_bot);
	free(f->down_file);
	free(f->fail_bot);
	free(f->flush_down_file);
	free(f->pending);
	free(f);
}

static void sleep_for(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Any thread a module starts in init inherits init's signal mask: logs
 * whether the host blocked SIGTERM there (the graceful stop test checks). */
static void log_signal_mask(const struct rtw_host *host)
{
	sigset_t mask;

	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	host->log(host, RTW_LOG_INFO, "flaky: SIGTERM %sblocked in init",
		  sigismember(&mask, SIGTERM) ? "" : "not ");
}

static int flaky_init(const struct rtw_host *host, const json_t *config,
		      void **state, struct rtw_error *err)
{
	const json_t *sleep = json_object_get(config, "sleep_ms");
	struct flaky *f;
	char *out = NULL;

	if (check_keys(config, err) != 0)
		return -1;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	f->host = host;
	f->fd = -1;
	f->show_key = json_is_true(json_object_get(config, "show_key"));
	f->batch = json_is_true(json_object_get(config, "batch"));
	/* Absent: -1, never asks; 0 asks for no delay at all. */
	f->retry_after_ms =
		json_object_get(config, "retry_after_ms") != NULL
			? (long)json_integer_value(
				  json_object_get(config, "retry_after_ms"))
			: -1;
	if (f->batch && !RTW_HOST_TAKES_PENDING(host)) {
		rtw_error_set(err, "batch needs a host with ABI 1.2");
		goto fail;
	}
	pthread_mutex_init(&f->lock, NULL);
	if (string_member(config, "out", &out, err) != 0 ||
	    string_member(config, "retry_bot", &f->retry_bot, err) != 0 ||
	    string_member(config, "down_file", &f->down_file, err) != 0 ||
	    string_member(config, "fail_bot", &f->fail_bot, err) != 0 ||
	    string_member(config, "flush_down_file", &f->flush_down_file,
			  err) != 0)
		goto fail;
	if (out == NULL) {
		rtw_error_set(err, "config needs out = \"FILE\"");
		goto fail;
	}
	if ((f->retry_bot == NULL) != (f->down_file == NULL)) {
		rtw_error_set(err, "retry_bot and down_file go together");
		goto fail;
	}
	if (sleep != NULL &&
	    (!json_is_integer(sleep) || json_integer_value(sleep) < 0)) {
		rtw_error_set(err, "'sleep_ms' must be an integer >= 0");
		goto fail;
	}
	f->sleep_ms = sleep != NULL ? (long)json_integer_value(sleep) : 0;
	f->fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (f->fd < 0) {
		rtw_error_set(err, "cannot open %s: %s", out, strerror(errno));
		goto fail;
	}
	host->log(host, RTW_LOG_INFO, "flaky: init, writing to %s", out);
	log_signal_mask(host);
	/* A server slow to answer at start (the graceful stop test). */
	sleep_for((long)json_integer_value(
		json_object_get(config, "init_sleep_ms")));
	free(out);
	*state = f;
	return 0;
fail:
	free(out);
	flaky_fini(f);
	return -1;
}

/* The event's text as described at the top, into buf. */
static void event_text(const struct rtw_event *ev, char *buf, size_t len)
{
	const json_t *words = json_object_get(ev->payload, "words");
	const json_t *chat = json_object_get(ev->payload, "data");
	const char *text = json_string_value(json_object_get(chat, "text"));
	size_t used = 0, i;
	json_t *word;

	buf[0] = '\0';
	if (json_is_array(words) && json_array_size(words) > 0) {
		json_array_foreach(words, i, word)
		{
			const char *w =
			    json_string_value(json_object_get(word, "text"));
			int n = snprintf(buf + used, len - used, "%s%s",
					 i > 0 ? " " : "", w ? w : "");

			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
	} else if (text != NULL) {
		snprintf(buf, len, "%s", text);
	} else if (ev->timestamp.has_relative) {
		snprintf(buf, len, "%.3f", ev->timestamp.relative);
	} else {
		snprintf(buf, len, "-");
	}
	/* One line per event, whatever the text holds. */
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static int same_bot(const char *configured, const char *bot)
{
	return configured != NULL && bot != NULL &&
	       strcmp(configured, bot) == 0;
}


static void write_line(struct flaky *f, const char *line, size_t len)
{
	if (write(f->fd, line, len) != (ssize_t)len)
		f->host->log(f->host, RTW_LOG_ERR, "flaky: write: %s",
			     strerror(errno));
}

/* Marks bot busy; when another worker already handles it, reports the
 * broken promise in out. Lock held. */
static void enter_bot(struct flaky *f, const struct rtw_event *ev,
		      const char *bot, size_t *slot)
{
	size_t free_slot = FLAKY_MAX_BUSY;

	for (size_t i = 0; i < FLAKY_MAX_BUSY; i++) {
		if (f->busy[i] == NULL) {
			if (free_slot == FLAKY_MAX_BUSY)
				free_slot = i;
		} else if (strcmp(f->busy[i], bot) == 0) {
			char line[256];
			int n = snprintf(line, sizeof(line),
					 "! concurrent %s %" PRIu64 "\n", bot,
					 ev->seq);

			if (n > 0 && (size_t)n < sizeof(line))
				write_line(f, line, (size_t)n);
		}
	}
	*slot = free_slot;
	if (free_slot < FLAKY_MAX_BUSY)
		f->busy[free_slot] = bot;
	if (++f->inflight > f->max_inflight)
		f->max_inflight = f->inflight;
}

/* Batch mode: keeps the line for the next flush. Lock held. */
static enum rtw_result keep_line(struct flaky *f, const char *line, size_t n,
				 struct rtw_error *err)
{
	char *grown = realloc(f->pending, f->pending_len + n);

	if (grown == NULL) {
		rtw_error_set(err, "flaky: out of memory");
		return RTW_RETRY;
	}
	memcpy(grown + f->pending_len, line, n);
	f->pending = grown;
	f->pending_len += n;
	return RTW_PENDING;
}

/* Writes and syncs the batched lines (all of them: a superset of what the
 * host asks for is allowed). */
static enum rtw_result flaky_flush(void *state, struct rtw_error *err)
{
	struct flaky *f = state;
	enum rtw_result r = RTW_OK;

	pthread_mutex_lock(&f->lock);
	if (f->flush_down_file != NULL &&
	    access(f->flush_down_file, F_OK) == 0) {
		rtw_error_set(err, "flaky: %s exists", f->flush_down_file);
		r = RTW_RETRY;
	} else if (f->pending_len > 0 &&
		   (write(f->fd, f->pending, f->pending_len) !=
			    (ssize_t)f->pending_len ||
		    fdatasync(f->fd) != 0)) {
		rtw_error_set(err, "flaky: write: %s", strerror(errno));
		r = RTW_RETRY;
	} else {
		f->pending_len = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

/* Everything but the busy bookkeeping. */
static enum rtw_result handle_unlocked(struct flaky *f,
				       const struct rtw_event *ev,
				       const char *bot, struct rtw_error *err)
{
	char text[1024], line[1400];
	enum rtw_result r = RTW_OK;
	int n;

	if (f->show_key)
		snprintf(text, sizeof(text), "%s",
			 RTW_HAS_FIELD(ev, struct rtw_event, dedup_key) &&
				 ev->dedup_key != NULL
			     ? ev->dedup_key
			     : "(none)");
	else
		event_text(ev, text, sizeof(text));
	if (f->sleep_ms > 0) {
		f->host->log(f->host, RTW_LOG_NOTICE,
			     "begin %" PRIu64 " %s %s %s", ev->seq, bot,
			     ev->type_name, text);
		sleep_for(f->sleep_ms);
	}
	if (same_bot(f->retry_bot, ev->bot_id) &&
	    access(f->down_file, F_OK) == 0) {
		rtw_error_set(err, "flaky: %s exists, retry %" PRIu64,
			      f->down_file, ev->seq);
		if (f->retry_after_ms >= 0)
			f->host->retry_after(f->host, f->retry_after_ms);
		return RTW_RETRY;
	}
	if (same_bot(f->fail_bot, ev->bot_id)) {
		rtw_error_set(err, "flaky: refusing %" PRIu64, ev->seq);
		return RTW_FAIL;
	}
	n = snprintf(line, sizeof(line), "%" PRIu64 " %s %s %s\n", ev->seq, bot,
		     ev->type_name, text);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		rtw_error_set(err, "flaky: line too long for event %" PRIu64,
			      ev->seq);
		return RTW_FAIL;
	}
	/* One write per line under the lock: lines from several workers
	 * never interleave. */
	pthread_mutex_lock(&f->lock);
	if (f->batch) {
		r = keep_line(f, line, (size_t)n, err);
	} else if (write(f->fd, line, (size_t)n) != n) {
		rtw_error_set(err, "flaky: write: %s", strerror(errno));
		r = RTW_RETRY;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static enum rtw_result flaky_handle(void *state, const struct rtw_event *ev,
				    struct rtw_error *err)
{
	struct flaky *f = state;
	const char *bot = ev->bot_id != NULL ? ev->bot_id : "-";
	enum rtw_result r;
	size_t slot;

	pthread_mutex_lock(&f->lock);
	enter_bot(f, ev, bot, &slot);
	pthread_mutex_unlock(&f->lock);
	r = handle_unlocked(f, ev, bot, err);
	pthread_mutex_lock(&f->lock);
	if (slot < FLAKY_MAX_BUSY)
		f->busy[slot] = NULL;
	f->inflight--;
	pthread_mutex_unlock(&f->lock);
	return r;
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "flaky",
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = flaky_init,
	    .handle = flaky_handle,
	    .fini = flaky_fini,
	    .flush = flaky_flush,
	};
	return &handler;
}
