/* Built for a handler ABI this daemon does not speak. */
#include "common.h"

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = 999,
	    .size = sizeof(struct rtw_handler),
	    .name = "wrong_abi",
	    .init = plain_init,
	    .handle = plain_handle,
	    .fini = plain_fini,
	};
	return &handler;
}
