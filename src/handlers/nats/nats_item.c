/* Copying an event into a message to publish (see nats_item.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "msgid.h"
#include "nats_item.h"
#include "subject.h"

/* Copies len bytes of s (plus a NUL) to *at and advances it. */
static char *put(char **at, const char *s, size_t len)
{
	char *p = *at;

	memcpy(p, s, len);
	p[len] = '\0';
	*at += len + 1;
	return p;
}

static struct nats_item *pack(const struct rtw_event *ev, const char *subject,
			      const char *msgid)
{
	size_t subject_len = strlen(subject), msgid_len = strlen(msgid),
	       type_len = strlen(ev->type_name),
	       bot_len = ev->bot_id != NULL ? strlen(ev->bot_id) : 0;
	struct nats_item *it = malloc(sizeof(*it) + subject_len + msgid_len +
				      type_len + bot_len + ev->body_len + 5);
	char *at;

	if (it == NULL)
		return NULL;
	at = (char *)(it + 1);
	it->subject = put(&at, subject, subject_len);
	it->msgid = put(&at, msgid, msgid_len);
	it->type = put(&at, ev->type_name, type_len);
	it->bot_id = ev->bot_id != NULL ? put(&at, ev->bot_id, bot_len) : NULL;
	it->seq = ev->seq;
	it->body_len = (int)ev->body_len;
	it->body = put(&at, ev->body, ev->body_len);
	it->next = NULL;
	return it;
}

enum rtw_result nats_item_new(const struct natscfg *cfg,
			      const struct rtw_event *ev,
			      struct nats_item **out, struct rtw_error *err)
{
	char subject[SUBJECT_MAX], id[MSGID_MAX];

	*out = NULL;
	if (subject_render(cfg->subject, ev, subject, sizeof(subject)) < 0) {
		rtw_error_set(err, "subject longer than %d bytes", SUBJECT_MAX);
		return RTW_FAIL;
	}
	if (ev->body_len > INT_MAX) {
		rtw_error_set(err, "body of %zu bytes is too large for NATS",
			      ev->body_len);
		return RTW_FAIL;
	}
	msgid_make(ev, id);
	*out = pack(ev, subject, id);
	if (*out == NULL) {
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	return RTW_OK;
}

void nats_item_free(struct nats_item *it)
{
	free(it);
}
