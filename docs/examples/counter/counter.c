/* counter: the smallest useful handler module, built out of tree against
 * the installed header (see Makefile and docs/writing-handlers.md). It
 * counts events and logs each at debug level. */
#include <stdlib.h>

#include <rtwebhookd/handler.h>

struct counter {
	const struct rtw_host *host;
	unsigned long n;
};

static int counter_init(const struct rtw_host *host, const json_t *config,
			void **state, struct rtw_error *err)
{
	struct counter *c;

	if (json_object_size(config) != 0) { /* refuse unknown keys */
		rtw_error_set(err, "counter takes no settings");
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	c->host = host;
	*state = c;
	return 0;
}

static enum rtw_result counter_handle(void *state, const struct rtw_event *ev,
				      struct rtw_error *err)
{
	struct counter *c = state;

	(void)err;
	c->n++;
	c->host->log(c->host, RTW_LOG_DEBUG, "event %llu: %s from bot %s",
		     (unsigned long long)ev->seq, ev->type_name,
		     ev->bot_id ? ev->bot_id : "(none)");
	return RTW_OK;
}

static void counter_fini(void *state)
{
	struct counter *c = state;

	c->host->log(c->host, RTW_LOG_INFO, "counted %lu event(s)", c->n);
	free(c);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler h = {
		.abi_version = RTW_HANDLER_ABI_VERSION,
		.size = sizeof(struct rtw_handler),
		.name = "counter",
		.version = "1.0",
		.init = counter_init,
		.handle = counter_handle,
		.fini = counter_fini,
	};
	return &h;
}
