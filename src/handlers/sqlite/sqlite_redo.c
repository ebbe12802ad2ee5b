/* The redo log (see sqlite_redo.h). Each copy is one allocation: the view
 * the store reads, then its strings and the body packed behind it. The
 * parsed JSON is not copied (a deep copy per event would cost more than
 * the insert); a replay, which only follows a failed COMMIT, parses the
 * body again exactly as the host did. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_redo.h"

struct redo_event {
	struct rtw_event ev; /* its pointers point into data */
	struct rtw_participant participant;
	size_t size;
	char data[];
};

/* The string fields of a view that the store reads, listed once for
 * sizing and for copying. */
#define REDO_STRINGS 7

static void string_fields(struct rtw_event *view, struct rtw_participant *part,
			  const char **out[REDO_STRINGS])
{
	out[0] = &view->type_name;
	out[1] = &view->bot_id;
	out[2] = &view->recording_id;
	out[3] = &view->timestamp.absolute;
	out[4] = &part->name;
	out[5] = &part->email;
	out[6] = &part->platform;
}

static size_t string_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copies every string the view points to into dst (which has room for
 * them all), repointing the view at the copies. */
static void pack_strings(const char **fields[REDO_STRINGS], char *dst)
{
	size_t used = 0;

	for (int i = 0; i < REDO_STRINGS; i++) {
		size_t n = string_size(*fields[i]);

		if (n == 0)
			continue;
		memcpy(dst + used, *fields[i], n);
		*fields[i] = dst + used;
		used += n;
	}
}

static size_t strings_size(const char **fields[REDO_STRINGS])
{
	size_t n = 0;

	for (int i = 0; i < REDO_STRINGS; i++)
		n += string_size(*fields[i]);
	return n;
}

/* The fields of ev the store reads, still pointing into the host's
 * memory. */
static void shallow_view(const struct rtw_event *ev, struct rtw_event *view,
			 struct rtw_participant *part)
{
	*view = (struct rtw_event){.size = sizeof(*view)};
	*part = (struct rtw_participant){.size = sizeof(*part), .is_host = -1};
	view->type = ev->type;
	view->type_name = ev->type_name;
	view->seq = ev->seq;
	view->bot_id = ev->bot_id;
	view->recording_id = ev->recording_id;
	view->timestamp = ev->timestamp;
	view->received_at_ms = ev->received_at_ms;
	if (ev->participant == NULL)
		return;
	part->has_id = ev->participant->has_id;
	part->id = ev->participant->id;
	part->name = ev->participant->name;
	part->email = ev->participant->email;
	part->platform = ev->participant->platform;
	part->is_host = ev->participant->is_host;
}

static struct redo_event *copy_event(const struct rtw_event *ev)
{
	struct rtw_event view;
	struct rtw_participant part;
	const char **fields[REDO_STRINGS];
	struct redo_event *e;
	size_t body_len = ev->body != NULL ? ev->body_len : 0, size;

	shallow_view(ev, &view, &part);
	string_fields(&view, &part, fields);
	size = sizeof(*e) + strings_size(fields) + body_len + 1;
	e = malloc(size);
	if (e == NULL)
		return NULL;
	memcpy(e->data, ev->body != NULL ? ev->body : "", body_len);
	e->data[body_len] = '\0';
	view.body = e->data;
	view.body_len = body_len;
	pack_strings(fields, e->data + body_len + 1);
	e->ev = view;
	e->participant = part;
	e->ev.participant = ev->participant != NULL ? &e->participant : NULL;
	e->size = size;
	return e;
}

int redo_keep(struct redo_log *log, const struct rtw_event *ev)
{
	struct redo_event *e;

	if (log->count == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 256;
		struct redo_event **grown =
		    realloc(log->events, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		log->events = grown;
		log->cap = cap;
	}
	e = copy_event(ev);
	if (e == NULL)
		return -1;
	log->events[log->count++] = e;
	log->bytes += e->size;
	return 0;
}

void redo_drop_last(struct redo_log *log)
{
	if (log->count == 0)
		return;
	log->count--;
	log->bytes -= log->events[log->count]->size;
	free(log->events[log->count]);
}

void redo_clear(struct redo_log *log)
{
	while (log->count > 0)
		redo_drop_last(log);
}

void redo_free(struct redo_log *log)
{
	redo_clear(log);
	free(log->events);
	memset(log, 0, sizeof(*log));
}

/* Parses the kept body with the host's flags; the payload is data.data,
 * NULL when absent or null (as struct rtw_event defines it). */
static json_t *parse_again(struct rtw_event *view, struct rtw_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(view->body, view->body_len, JSON_ALLOW_NUL,
				  &jerr);

	if (root == NULL) {
		/* The host parsed these same bytes: this cannot happen
		 * short of memory. */
		rtw_error_set(err, "cannot parse event %llu again: %s",
			      (unsigned long long)view->seq, jerr.text);
		return NULL;
	}
	view->json = root;
	view->payload = json_object_get(json_object_get(root, "data"), "data");
	if (json_is_null(view->payload))
		view->payload = NULL;
	return root;
}

int redo_replay(const struct redo_log *log,
		int (*write)(void *arg, const struct rtw_event *ev,
			     struct rtw_error *err),
		void *arg, struct rtw_error *err)
{
	for (size_t i = 0; i < log->count; i++) {
		struct rtw_event view = log->events[i]->ev;
		json_t *root = parse_again(&view, err);
		int rc;

		if (root == NULL)
			return -1;
		rc = write(arg, &view, err);
		json_decref(root);
		if (rc != 0)
			return rc;
	}
	return 0;
}
