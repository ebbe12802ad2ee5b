/* Trivial callbacks for the fixture modules that only differ in their
 * descriptor: each includes this once. */
#ifndef RTW_TEST_MODULE_COMMON_H
#define RTW_TEST_MODULE_COMMON_H

#include <stdlib.h>

#include "rtwebhookd/handler.h"

__attribute__((unused)) static int plain_init(const struct rtw_host *host,
					      const json_t *config,
					      void **state,
					      struct rtw_error *err)
{
	*state = NULL;
	return 0;
}

__attribute__((unused)) static enum rtw_result
plain_handle(void *state, const struct rtw_event *ev, struct rtw_error *err)
{
	return RTW_OK;
}

__attribute__((unused)) static void plain_fini(void *state)
{
}

#endif
