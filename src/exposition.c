/* GET /metrics: counters plus gauges read at scrape time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "dispatch.h"
#include "exposition.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

static void write_handler_gauges(struct runtime *rt,
				 const struct handler_set *set, FILE *f)
{
	uint64_t committed = spool_committed(rt->spool);

	fputs("# HELP rtwebhookd_handler_backlog_events Events stored and not "
	      "yet done by the handler (as of its last saved progress).\n"
	      "# TYPE rtwebhookd_handler_backlog_events gauge\n",
	      f);
	for (size_t i = 0; i < set->n; i++) {
		uint64_t low = dispatch_saved_low(set->dispatchers[i]);

		fputs("rtwebhookd_handler_backlog_events{handler=\"", f);
		metrics_write_label(f, set->handlers[i]->conf->name);
		fprintf(f, "\"} %" PRIu64 "\n",
			committed > low ? committed - low : 0);
	}
	fputs("# HELP rtwebhookd_handler_oldest_unhandled_seconds Age of the "
	      "oldest event the handler has not done (0 when none).\n"
	      "# TYPE rtwebhookd_handler_oldest_unhandled_seconds gauge\n",
	      f);
	for (size_t i = 0; i < set->n; i++) {
		fputs("rtwebhookd_handler_oldest_unhandled_seconds{handler=\"",
		      f);
		metrics_write_label(f, set->handlers[i]->conf->name);
		fprintf(f, "\"} %.3f\n",
			(double)runtime_oldest_unhandled_ms(
				rt, set->dispatchers[i]) /
				1000.0);
	}
}

static void write_gauges(struct runtime *rt, const struct handler_set *set,
			 FILE *f)
{
	fprintf(f,
		"# HELP rtwebhookd_spool_bytes Size of the spool's segment "
		"files.\n# TYPE rtwebhookd_spool_bytes gauge\n"
		"rtwebhookd_spool_bytes %" PRIu64 "\n"
		"# HELP rtwebhookd_spool_writable 1 while events can be "
		"stored.\n# TYPE rtwebhookd_spool_writable gauge\n"
		"rtwebhookd_spool_writable %d\n"
		"# HELP rtwebhookd_duplicates_total Sender retries answered "
		"200 and not delivered again.\n"
		"# TYPE rtwebhookd_duplicates_total counter\n"
		"rtwebhookd_duplicates_total %" PRIu64 "\n"
		"# HELP rtwebhookd_events_reread_total Events a handler read "
		"back from disk (it had fallen behind).\n"
		"# TYPE rtwebhookd_events_reread_total counter\n"
		"rtwebhookd_events_reread_total %" PRIu64 "\n"
		"# HELP rtwebhookd_active_bots Bots that sent an event in "
		"the last %d s.\n"
		"# TYPE rtwebhookd_active_bots gauge\n"
		"rtwebhookd_active_bots %zu\n",
		spool_bytes(rt->spool), spool_error(rt->spool) == 0,
		(uint64_t)atomic_load(&rt->stats.duplicates),
		(uint64_t)atomic_load(&rt->stats.reread),
		ACTIVE_BOTS_WINDOW_MS / 1000,
		active_bots_count(rt->active_bots, now_ms()));
	write_handler_gauges(rt, set, f);
}

static char *render(struct runtime *rt, const struct handler_set *set,
		    size_t *len)
{
	const struct config *conf = rt->conf;
	const char **endpoints = calloc(conf->nendpoints + 1,
					sizeof(*endpoints));
	struct metrics_handler_entry *handlers =
		calloc(set->n + 1, sizeof(*handlers));
	char *text = NULL;
	FILE *f = NULL;

	if (endpoints != NULL && handlers != NULL)
		f = open_memstream(&text, len);
	if (f != NULL) {
		for (size_t i = 0; i < conf->nendpoints; i++)
			endpoints[i] = conf->endpoints[i].path;
		for (size_t i = 0; i < set->n; i++)
			handlers[i] = (struct metrics_handler_entry){
				set->handlers[i]->conf->name,
				set->handlers[i]->metrics};
		metrics_write(rt->metrics, endpoints, handlers, set->n, f);
		write_gauges(rt, set, f);
		if (fclose(f) != 0) {
			free(text);
			text = NULL;
		}
	}
	free(endpoints);
	free(handlers);
	return text;
}

char *exposition_render(struct runtime *rt, size_t *len)
{
	char *text = render(rt, runtime_handlers_acquire(rt), len);

	runtime_handlers_release(rt);
	return text;
}
