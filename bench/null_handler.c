/* A handler that does nothing but count: what the delivery path costs
 * without any handler work. */
#include <stdatomic.h>
#include <stdlib.h>

#include "rtwebhookd/handler.h"

struct null_state {
	atomic_ulong handled;
};

static int null_init(const struct rtw_host *host, const json_t *config,
		     void **state, struct rtw_error *err)
{
	*state = calloc(1, sizeof(struct null_state));
	if (*state == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static enum rtw_result null_handle(void *state, const struct rtw_event *ev,
				   struct rtw_error *err)
{
	atomic_fetch_add(&((struct null_state *)state)->handled, 1);
	return RTW_OK;
}

static void null_fini(void *state)
{
	free(state);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler h = {
		.abi_version = RTW_HANDLER_ABI_VERSION,
		.size = sizeof(struct rtw_handler),
		.name = "null",
		.version = "1.0",
		.flags = RTW_HANDLER_THREAD_SAFE,
		.init = null_init,
		.handle = null_handle,
		.fini = null_fini,
	};
	return &h;
}
