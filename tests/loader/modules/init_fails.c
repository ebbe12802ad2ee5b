/* init always fails: with config {"reason": "..."} it gives that reason,
 * without it no reason at all. fini must never run after a failed init,
 * so it aborts to make such a call impossible to miss. */
#include <stdlib.h>

#include "rtwebhookd/handler.h"

static int failing_init(const struct rtw_host *host, const json_t *config,
			void **state, struct rtw_error *err)
{
	const char *reason =
	    json_string_value(json_object_get(config, "reason"));

	if (reason != NULL)
		rtw_error_set(err, "%s", reason);
	return -1;
}

static enum rtw_result unused_handle(void *state, const struct rtw_event *ev,
				     struct rtw_error *err)
{
	return RTW_FAIL;
}

static void forbidden_fini(void *state)
{
	abort();
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "init_fails",
	    .init = failing_init,
	    .handle = unused_handle,
	    .fini = forbidden_fini,
	};
	return &handler;
}
