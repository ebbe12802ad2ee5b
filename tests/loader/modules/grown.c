/* A module built against a later 1.x header whose descriptor grew a field:
 * structs only grow, so this daemon must still load it. */
#include "common.h"

struct grown_handler {
	struct rtw_handler base;
	void (*added_later)(void *state);
};

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct grown_handler handler = {
	    .base =
		{
		    .abi_version = RTW_HANDLER_ABI_VERSION,
		    .size = sizeof(struct grown_handler),
		    .name = "grown",
		    .init = plain_init,
		    .handle = plain_handle,
		    .fini = plain_fini,
		},
	    .added_later = plain_fini,
	};
	return &handler.base;
}
