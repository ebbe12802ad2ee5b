/* A descriptor without the required handle callback. */
#include "common.h"

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "no_handle",
	    .init = plain_init,
	    .handle = NULL,
	    .fini = plain_fini,
	};
	return &handler;
}
