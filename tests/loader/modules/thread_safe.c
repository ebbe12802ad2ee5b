/* A module that declares RTW_HANDLER_THREAD_SAFE, so its handler block may
 * ask for several workers. */
#include "common.h"

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "thread_safe",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = plain_init,
	    .handle = plain_handle,
	    .fini = plain_fini,
	};
	return &handler;
}
