/* transcript: readable live transcripts from Recall's transcript and
 * participant events, one set of files per bot under `dir` (see
 * transcript.h for the files, docs/handlers/transcript.md for the
 * formats).
 *
 *   transcript.data          a line in <bot>.txt and a cue in <bot>.vtt
 *   transcript.partial_data  <bot>.partial (only with partials = true)
 *   participant_events.join
 *   participant_events.update  the participant's name, for utterances
 *                            that arrive without one
 *   anything else            OK, nothing written
 *
 * Events of one bot arrive in order (the host's promise); an event whose
 * seq is not above the bot's last recorded one was already written and is
 * skipped, which makes re-delivery after a crash harmless. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

struct transcript {
	const struct rtw_host *host;
	struct tx_config config;
	int dirfd;
	struct tx_bots bots;
	/* Reused for every event (handle never runs concurrently). */
	struct tx_utterance utterance;
	struct tx_buf line;
	struct tx_buf cue;
};

/* Creates dir and its missing parents (mode 0750), like mkdir -p. */
static int make_dirs(const char *dir)
{
	char *path = strdup(dir);
	int rc = 0;

	if (path == NULL)
		return -1;
	for (char *p = path + 1; rc == 0; p++) {
		int last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST)
			rc = -1;
		if (last)
			break;
		*p = '/';
	}
	free(path);
	return rc;
}

static void transcript_fini(void *state);

static int transcript_init(const struct rtw_host *host, const json_t *config,
			   void **state, struct rtw_error *err)
{
	struct transcript *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	t->host = host;
	t->dirfd = -1;
	if (tx_config_parse(config, &t->config, err) != 0)
		goto fail;
	if (make_dirs(t->config.dir) != 0 ||
	    (t->dirfd =
		 open(t->config.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rtw_error_set(err, "config key 'dir': cannot use %s: %s",
			      t->config.dir, strerror(errno));
		goto fail;
	}
	*state = t;
	return 0;
fail:
	transcript_fini(t);
	return -1;
}

/* The label of an utterance's speaker, into buf: the event's own name;
 * else the latest name a join/update gave that participant id; else
 * "participant <id>"; else "unknown speaker". */
static const char *speaker_label(const struct tx_bot *b,
				 const struct rtw_participant *p, char *buf,
				 size_t len)
{
	const char *known;

	if (p != NULL && p->name != NULL && p->name[0] != '\0')
		return p->name;
	if (p == NULL || !p->has_id)
		return "unknown speaker";
	known = tx_names_get(&b->names, p->id);
	if (known != NULL)
		return known;
	snprintf(buf, len, "participant %" PRId64, p->id);
	return buf;
}

/* Partial lines are kept per speaker: by id, or by label without one. */
static void speaker_key(const struct rtw_participant *p, const char *label,
			char *buf, size_t len)
{
	if (p != NULL && p->has_id)
		snprintf(buf, len, "id:%" PRId64, p->id);
	else
		snprintf(buf, len, "name:%s", label);
}

/* Reads the utterance and the speaker; 1 when there is something to
 * write, 0 when not, -1 (err set) for a malformed event. */
static int read_utterance(struct transcript *t, const struct tx_bot *b,
			  const struct rtw_event *ev, char *label_buf,
			  size_t label_len, const char **label,
			  struct rtw_error *err)
{
	int rc = tx_utterance_read(ev->payload, &t->utterance, err);

	if (rc <= 0)
		return rc;
	*label = speaker_label(b, ev->participant, label_buf, label_len);
	return 1;
}

static enum rtw_result on_final(struct transcript *t, struct tx_bot *b,
				const struct rtw_event *ev,
				struct rtw_error *err)
{
	char label_buf[64], key[1024];
	const char *label = NULL;
	int rc =
	    read_utterance(t, b, ev, label_buf, sizeof(label_buf), &label, err);

	if (rc <= 0)
		return rc < 0 ? RTW_FAIL : RTW_OK;
	tx_buf_reset(&t->line);
	tx_buf_reset(&t->cue);
	if (tx_format_line(&t->line, &t->utterance, label) != 0 ||
	    tx_format_cue(&t->cue, &t->utterance, label) != 0) {
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	if (tx_bot_append(b, ev->seq, &t->line, &t->cue, t->config.fsync,
			  err) != 0)
		return RTW_RETRY;
	/* The final line replaces the speaker's partial one. */
	speaker_key(ev->participant, label, key, sizeof(key));
	if (t->config.partials && tx_partials_drop(&b->partials, key) &&
	    tx_partials_write(&b->partials, t->dirfd, b->stem, err) != 0)
		t->host->log(t->host, RTW_LOG_WARNING, "%s", err->message);
	return RTW_OK;
}

static enum rtw_result on_partial(struct transcript *t, struct tx_bot *b,
				  const struct rtw_event *ev,
				  struct rtw_error *err)
{
	char label_buf[64], key[1024];
	const char *label = NULL;
	int rc =
	    read_utterance(t, b, ev, label_buf, sizeof(label_buf), &label, err);

	if (rc <= 0)
		return rc < 0 ? RTW_FAIL : RTW_OK;
	tx_buf_reset(&t->line);
	speaker_key(ev->participant, label, key, sizeof(key));
	if (tx_format_line(&t->line, &t->utterance, label) != 0 ||
	    tx_partials_set(&b->partials, key, t->line.data) != 0) {
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	if (tx_partials_write(&b->partials, t->dirfd, b->stem, err) != 0)
		return RTW_RETRY;
	return RTW_OK;
}

static enum rtw_result on_participant(struct transcript *t, struct tx_bot *b,
				      const struct rtw_event *ev,
				      struct rtw_error *err)
{
	const struct rtw_participant *p = ev->participant;

	/* An update without a name (an email arriving) keeps the name. */
	if (p == NULL || !p->has_id || p->name == NULL || p->name[0] == '\0')
		return RTW_OK;
	if (tx_names_record(&b->names, ev->seq, p->id, p->name, t->config.fsync,
			    err) != 0)
		return RTW_RETRY;
	return RTW_OK;
}

/* Which events this handler acts on; every other one is OK untouched. */
static int handles_type(const struct transcript *t, enum rtw_event_type type)
{
	switch (type) {
	case RTW_EVENT_TRANSCRIPT_DATA:
	case RTW_EVENT_PARTICIPANT_JOIN:
	case RTW_EVENT_PARTICIPANT_UPDATE:
		return 1;
	case RTW_EVENT_TRANSCRIPT_PARTIAL_DATA:
		return t->config.partials;
	default:
		return 0;
	}
}

static enum rtw_result transcript_handle(void *state,
					 const struct rtw_event *ev,
					 struct rtw_error *err)
{
	struct transcript *t = state;
	/* Recordings not made by a bot are filed under their recording. */
	const char *id = ev->bot_id ? ev->bot_id : ev->recording_id;
	char stem[TX_STEM_MAX + 1];
	struct tx_bot *b;

	if (!handles_type(t, ev->type))
		return RTW_OK;
	if (id == NULL) {
		/* Nowhere to file it: the dead-letter file keeps it. */
		rtw_error_set(err, "event has neither bot nor recording id");
		return RTW_FAIL;
	}
	if (tx_stem_encode(id, stem) != 0) {
		rtw_error_set(err,
			      "bot id unusable as a file name (empty, "
			      "or over %d bytes encoded)",
			      TX_STEM_MAX);
		return RTW_FAIL;
	}
	/* Opening can only fail for a transient reason now (disk, memory,
	 * descriptors): the event waits and is offered again. */
	b = tx_bots_get(&t->bots, id, t->dirfd, t->config.fsync, t->host, err);
	if (b == NULL)
		return RTW_RETRY;
	if (ev->seq <= b->state.rec.seq)
		return RTW_OK; /* written before a crash or restart */
	if (ev->type == RTW_EVENT_TRANSCRIPT_DATA)
		return on_final(t, b, ev, err);
	if (ev->type == RTW_EVENT_TRANSCRIPT_PARTIAL_DATA)
		return on_partial(t, b, ev, err);
	return on_participant(t, b, ev, err);
}

static void transcript_fini(void *state)
{
	struct transcript *t = state;

	if (t == NULL)
		return;
	tx_bots_close_all(&t->bots);
	if (t->dirfd >= 0)
		close(t->dirfd);
	tx_utterance_free(&t->utterance);
	tx_buf_free(&t->line);
	tx_buf_free(&t->cue);
	tx_config_free(&t->config);
	free(t);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "transcript",
	    .version = "1.0",
	    .flags = 0,
	    .init = transcript_init,
	    .handle = transcript_handle,
	    .fini = transcript_fini,
	};
	return &handler;
}
