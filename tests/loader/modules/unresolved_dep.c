/* Calls a function no library defines, so dlopen(RTLD_NOW) must fail
 * with "undefined symbol" (shared objects may link with undefined
 * symbols; the loader is where it shows). */
#include "common.h"

void rtw_test_function_nobody_defines(void);

static int calling_init(const struct rtw_host *host, const json_t *config,
			void **state, struct rtw_error *err)
{
	rtw_test_function_nobody_defines();
	*state = NULL;
	return 0;
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "unresolved_dep",
	    .init = calling_init,
	    .handle = plain_handle,
	    .fini = plain_fini,
	};
	return &handler;
}
