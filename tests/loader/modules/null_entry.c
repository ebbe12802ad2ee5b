/* The entry point exists but returns no descriptor. */
#include "rtwebhookd/handler.h"

const struct rtw_handler *rtw_handler_entry(void)
{
	return NULL;
}
