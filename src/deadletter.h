/* deadletter.c: the file where a handler's permanently failed events go,
 * <state_dir>/dead-letters.jsonl, one JSON object a line:
 *   {"seq":12,"failed_at_ms":...,"reason":"...","event":<the body>}
 * An operator can inspect it and replay lines with rtw-send. */
#ifndef RTW_DEADLETTER_H
#define RTW_DEADLETTER_H

#include "rtwebhookd/handler.h"

/* Opens (creating) the file; returns an fd or -1 (logged). */
int deadletter_open(const char *state_dir);
/* Appends one line for ev. Returns 0 or -1 (logged). */
int deadletter_write(int fd, const struct rtw_event *ev, const char *reason,
		     int64_t now_ms);

#endif
