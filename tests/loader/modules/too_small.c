/* A descriptor whose size stops before the required callbacks. */
#include "common.h"

#define TOO_SMALL_SIZE offsetof(struct rtw_handler, init)

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = TOO_SMALL_SIZE,
	    .name = "too_small",
	    .init = plain_init,
	    .handle = plain_handle,
	    .fini = plain_fini,
	};
	return &handler;
}
