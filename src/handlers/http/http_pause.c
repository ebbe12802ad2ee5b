/* Retry-After: the pause a downstream asks for with a 408, 429 or 5xx
 * (docs/handlers/http.md, "Retry-After").
 *
 * Whom it pauses (config retry_after_scope). The downstream sees one
 * client, one URL and one set of credentials for all our bots, and cannot
 * tell them apart: a 429 or 503 with Retry-After is addressed to us as a
 * whole. So by default ("handler") the pause applies to every bot's
 * events: sending them anyway would draw the same answer and put more
 * load on a service that asked for less, and each of those events would
 * then wait from its own, later, Retry-After. With "bot" only the answered
 * event waits (and its bot's later events, which the host keeps behind
 * it): for a downstream whose limits are per meeting.
 *
 * How exactly (the host). A host with ABI 1.2's retry_after is asked for
 * the delay, so an event is offered again when the pause ends, neither
 * earlier (no request) nor later. An older host cannot be told a delay:
 * handle then answers RETRY without sending until the pause has passed,
 * and the host's own backoff decides when it asks again (up to one
 * backoff step late). "bot" needs the new host (checked at init). */
#include <inttypes.h>
#include <time.h>

#include "http_fwd.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_pause_host_can_delay(const struct rtw_host *host)
{
	return RTW_HOST_TAKES_PENDING(host) &&
	       RTW_HAS_FIELD(host, struct rtw_host, retry_after) &&
	       host->retry_after != NULL;
}

/* Moves the end of the shared pause to now + delay_ms unless another
 * worker already set a later one. Returns the ms left of the pause. */
static int64_t extend_pause(struct http_fwd *f, long delay_ms)
{
	int64_t now = mono_ms(), until = now + delay_ms;
	int64_t seen = atomic_load(&f->pause_until_ms);

	while (seen < until &&
	       !atomic_compare_exchange_weak(&f->pause_until_ms, &seen, until))
		;
	if (seen >= until)
		return seen - now;
	f->host->log(f->host, RTW_LOG_NOTICE,
		     "downstream asked to wait %ld ms (Retry-After): no event "
		     "of any bot is sent until then",
		     delay_ms);
	return delay_ms;
}

void http_pause_start(struct http_fwd *f, long delay_ms)
{
	int64_t left;

	if (delay_ms > f->config.max_retry_after_ms)
		delay_ms = f->config.max_retry_after_ms;
	/* Retry-After: 0 (or max_retry_after_s = 0): the host's backoff,
	 * which grows, rather than asking again at once, and again. */
	if (delay_ms <= 0)
		return;
	if (f->config.retry_after_scope == HTTP_SCOPE_BOT) {
		f->host->retry_after(f->host, delay_ms);
		return;
	}
	left = extend_pause(f, delay_ms);
	if (f->host_can_delay)
		f->host->retry_after(f->host, left);
}

int http_pause_holds(struct http_fwd *f, struct rtw_error *err)
{
	int64_t left = atomic_load(&f->pause_until_ms) - mono_ms();

	if (left <= 0)
		return 0;
	rtw_error_set(err,
		      "not sent: the downstream asked to wait (Retry-After), "
		      "%" PRId64 " ms left",
		      left);
	if (f->host_can_delay)
		f->host->retry_after(f->host, left);
	return 1;
}
