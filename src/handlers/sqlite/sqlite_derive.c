/* Rows derived from an event, by type (a table, not a switch ladder):
 *   join           participant upserted, a session opened
 *   leave          participant upserted, the open session closed (or a
 *                  session with only a leave, when none was open)
 *   update         participant upserted (the email arrives this way)
 *   speech_on      a speech turn opened
 *   speech_off     the open speech turn closed
 *   transcript.data  one utterance (partials never: a final replaces them)
 * Events of one bot arrive in order, so "the open session/turn" is well
 * defined. An event without a participant id derives nothing (its row in
 * events still holds all of it). */
#include <string.h>

#include "sqlite_derive.h"
#include "sqlite_words.h"

const char *derive_meeting(const struct rtw_event *ev)
{
	if (ev->bot_id != NULL)
		return ev->bot_id;
	return ev->recording_id != NULL ? ev->recording_id : "";
}

static int has_participant_id(const struct rtw_event *ev)
{
	return ev->participant != NULL && ev->participant->has_id;
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

/* Binds the parameters the session and speech statements share: ?1 seq,
 * ?2 meeting, ?3 participant id, ?4 time_s, ?5 time_at. */
static void bind_moment(sqlite3_stmt *st, const struct rtw_event *ev)
{
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 2, derive_meeting(ev), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ev->participant->id);
	if (ev->timestamp.has_relative)
		sqlite3_bind_double(st, 4, ev->timestamp.relative);
	bind_text(st, 5, ev->timestamp.absolute);
}

static int step_moment(struct store *s, enum store_stmt id,
		       const struct rtw_event *ev)
{
	bind_moment(s->st[id], ev);
	return store_step(s, id);
}

static int upsert_participant(struct store *s, const struct rtw_event *ev)
{
	sqlite3_stmt *st = s->st[ST_UPSERT_PARTICIPANT];
	const struct rtw_participant *p = ev->participant;

	sqlite3_bind_text(st, 1, derive_meeting(ev), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->id);
	bind_text(st, 3, p->name);
	bind_text(st, 4, p->email);
	bind_text(st, 5, p->platform);
	if (p->is_host >= 0)
		sqlite3_bind_int(st, 6, p->is_host);
	return store_step(s, ST_UPSERT_PARTICIPANT);
}

static int on_join(struct store *s, const struct rtw_event *ev)
{
	int rc = upsert_participant(s, ev);

	return rc == SQLITE_DONE ? step_moment(s, ST_OPEN_SESSION, ev) : rc;
}

static int on_leave(struct store *s, const struct rtw_event *ev)
{
	int rc = upsert_participant(s, ev);

	if (rc == SQLITE_DONE)
		rc = step_moment(s, ST_CLOSE_SESSION, ev);
	if (rc == SQLITE_DONE && sqlite3_changes(s->db) == 0)
		rc = step_moment(s, ST_LONE_LEAVE, ev);
	return rc;
}

static int on_speech_on(struct store *s, const struct rtw_event *ev)
{
	return step_moment(s, ST_START_SPEECH, ev);
}

static int on_speech_off(struct store *s, const struct rtw_event *ev)
{
	/* A speech_off with no open turn (its speech_on was lost upstream)
	 * changes nothing. */
	return step_moment(s, ST_END_SPEECH, ev);
}

static int on_transcript(struct store *s, const struct rtw_event *ev)
{
	sqlite3_stmt *st = s->st[ST_INSERT_UTTERANCE];
	struct utterance u;
	int have = words_utterance(ev->payload, &s->text, &u);

	if (have <= 0)
		return have < 0 ? SQLITE_NOMEM : SQLITE_DONE;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 2, derive_meeting(ev), -1, SQLITE_STATIC);
	if (has_participant_id(ev))
		sqlite3_bind_int64(st, 3, ev->participant->id);
	bind_text(st, 4, ev->participant ? ev->participant->name : NULL);
	if (u.has_start)
		sqlite3_bind_double(st, 5, u.start_s);
	if (u.has_end)
		sqlite3_bind_double(st, 6, u.end_s);
	bind_text(st, 7, u.start_at);
	bind_text(st, 8, u.end_at);
	sqlite3_bind_text(st, 9, u.text, (int)u.len, SQLITE_STATIC);
	return store_step(s, ST_INSERT_UTTERANCE);
}

static const struct {
	enum rtw_event_type type;
	int needs_participant;
	int (*derive)(struct store *s, const struct rtw_event *ev);
} derivations[] = {
    {RTW_EVENT_PARTICIPANT_JOIN, 1, on_join},
    {RTW_EVENT_PARTICIPANT_LEAVE, 1, on_leave},
    {RTW_EVENT_PARTICIPANT_UPDATE, 1, upsert_participant},
    {RTW_EVENT_PARTICIPANT_SPEECH_ON, 1, on_speech_on},
    {RTW_EVENT_PARTICIPANT_SPEECH_OFF, 1, on_speech_off},
    {RTW_EVENT_TRANSCRIPT_DATA, 0, on_transcript},
};

int derive_rows(struct store *s, const struct rtw_event *ev)
{
	for (size_t i = 0; i < sizeof(derivations) / sizeof(derivations[0]);
	     i++) {
		if (derivations[i].type != ev->type)
			continue;
		if (derivations[i].needs_participant && !has_participant_id(ev))
			return SQLITE_DONE;
		return derivations[i].derive(s, ev);
	}
	return SQLITE_DONE;
}
