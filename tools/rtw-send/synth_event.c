/* Every event goes through envelope(), so the nesting documented in
 * RECALL_EVENTS.md ({"event", "data": {"data", "realtime_endpoint",
 * <artifact>, "recording", "bot"}}) is written in one place only. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "synth_event.h"
#include "synth_words.h"

#define ISO_LEN 32
/* 2026-11-26T16:00:00Z, the day RECALL_EVENTS.md's examples describe. */
#define BASE_UNIX_S 1795708800LL
#define START_SPREAD_S (8 * 3600)

double synthev_round_ms(double seconds)
{
	return round(seconds * 1000.0) / 1000.0;
}

/* "2026-11-26T16:20:01.480Z" for the moment rel seconds after the start. */
static void absolute_time(const struct synth_meeting *m, double rel,
			  char out[ISO_LEN])
{
	int64_t ms = m->start_ms + llround(rel * 1000.0);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, ISO_LEN - n, ".%03dZ", (int)(ms % 1000));
}

int synthev_meeting_init(struct synth_meeting *m, struct rng *r)
{
	char deal[16], customer[16];

	memset(m, 0, sizeof(*m));
	rng_uuid(r, m->bot_id);
	rng_uuid(r, m->recording_id);
	rng_uuid(r, m->endpoint_id);
	rng_uuid(r, m->participant_events_id);
	rng_uuid(r, m->transcript_id);
	m->start_ms = (BASE_UNIX_S + rng_below(r, START_SPREAD_S)) * 1000 +
		      rng_below(r, 1000);
	snprintf(deal, sizeof(deal), "D-%05u", rng_below(r, 100000));
	snprintf(customer, sizeof(customer), "cus_%04u", rng_below(r, 10000));
	m->endpoint_meta = json_pack("{s:s, s:s}", "tenant",
				     synth_pick(r, &synth_tenants), "env",
				     "prod");
	m->participant_events_meta = json_object();
	m->transcript_meta = json_pack("{s:s, s:s}", "provider",
				       "recallai_streaming", "language", "en");
	m->recording_meta = json_pack("{s:s, s:s}", "meeting_title",
				      synth_pick(r, &synth_titles),
				      "crm_deal_id", deal);
	m->bot_meta = json_pack("{s:s, s:s}", "customer_id", customer,
				"source", "calendar-v2");
	return m->endpoint_meta && m->participant_events_meta &&
			       m->transcript_meta && m->recording_meta &&
			       m->bot_meta
		       ? 0
		       : -1;
}

void synthev_meeting_clear(struct synth_meeting *m)
{
	json_decref(m->bot_meta);
	json_decref(m->recording_meta);
	json_decref(m->endpoint_meta);
	json_decref(m->participant_events_meta);
	json_decref(m->transcript_meta);
	memset(m, 0, sizeof(*m));
}

static json_t *envelope(const struct synth_meeting *m, const char *type,
			const char *artifact, const char *artifact_id,
			json_t *artifact_meta, json_t *payload)
{
	return json_pack("{s:s, s:{s:o, s:{s:s, s:O}, s:{s:s, s:O},"
			 " s:{s:s, s:O}, s:{s:s, s:O}}}",
			 "event", type, "data", "data", payload,
			 "realtime_endpoint", "id", m->endpoint_id, "metadata",
			 m->endpoint_meta, artifact, "id", artifact_id,
			 "metadata", artifact_meta, "recording", "id",
			 m->recording_id, "metadata", m->recording_meta, "bot",
			 "id", m->bot_id, "metadata", m->bot_meta);
}

static json_t *participant(const struct synth_person *p)
{
	return json_pack("{s:I, s:s?, s:b, s:s?, s:O, s:s?}", "id", p->id,
			 "name", p->name, "is_host", p->is_host, "platform",
			 p->platform, "extra_data", p->extra_data, "email",
			 p->email_known ? p->email : NULL);
}

json_t *synthev_participant_event(const struct synth_meeting *m,
				  const char *type,
				  const struct synth_person *p, double rel,
				  json_t *chat)
{
	char when[ISO_LEN];
	json_t *payload;

	rel = synthev_round_ms(rel);
	absolute_time(m, rel, when);
	payload = json_pack("{s:o, s:{s:s, s:f}, s:o}", "participant",
			    participant(p), "timestamp", "absolute", when,
			    "relative", rel, "data",
			    chat != NULL ? chat : json_null());
	return envelope(m, type, "participant_events",
			m->participant_events_id, m->participant_events_meta,
			payload);
}

json_t *synthev_transcript_event(const struct synth_meeting *m,
				 const char *type,
				 const struct synth_person *p, json_t *words)
{
	json_t *payload = json_pack("{s:o, s:o}", "words", words,
				    "participant", participant(p));

	return envelope(m, type, "transcript", m->transcript_id,
			m->transcript_meta, payload);
}

static json_t *word_time(const struct synth_meeting *m, double rel,
			 int with_absolute)
{
	char when[ISO_LEN];

	rel = synthev_round_ms(rel);
	if (!with_absolute)
		return json_pack("{s:f}", "relative", rel);
	absolute_time(m, rel, when);
	return json_pack("{s:f, s:s}", "relative", rel, "absolute", when);
}

json_t *synthev_word(const struct synth_meeting *m, const char *text,
		     double start, double end, int with_absolute)
{
	return json_pack("{s:s, s:o, s:o}", "text", text, "start_timestamp",
			 word_time(m, start, with_absolute), "end_timestamp",
			 end < start ? json_null()
				     : word_time(m, end, with_absolute));
}
