/* tx_bot: the output files of one bot, and appending one utterance to
 * them so that the files hold every final utterance exactly once, even
 * across crashes.
 *
 * The order of an append is: write the line (.txt) and the cue (.vtt) at
 * the sizes recorded in .state, sync both, then record the event's seq and
 * the new sizes in .state (synced), then answer OK. So:
 *  - a crash before the record leaves bytes past the recorded sizes; the
 *    next open cuts them, and the host offers the event again (it never
 *    got OK), which writes it once;
 *  - a crash after the record leaves a recorded seq; the host may offer
 *    the event again (its progress is saved a little later than our OK),
 *    and an event whose seq is not above the recorded one is skipped.
 * Syncing each event (rather than a batch) is what this ABI allows: the
 * host counts an event done as soon as handle returns OK, and there is no
 * flush callback to sync a batch before progress is saved. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

#define VTT_HEADER "WEBVTT\n\n"

static int bot_open_files(struct tx_bot *b, int dirfd, int sync,
			  const struct rtw_host *host, struct rtw_error *err)
{
	int txt_new = 0, vtt_new = 0;

	b->txt_fd =
	    tx_open_in(dirfd, b->stem, ".txt", O_RDWR | O_CREAT, &txt_new);
	b->vtt_fd = b->txt_fd < 0 ? -1
				  : tx_open_in(dirfd, b->stem, ".vtt",
					       O_RDWR | O_CREAT, &vtt_new);
	if (b->txt_fd < 0 || b->vtt_fd < 0) {
		rtw_error_set(err, "cannot open %s.%s: %s", b->stem,
			      b->txt_fd < 0 ? "txt" : "vtt", strerror(errno));
		return -1;
	}
	if (tx_state_open(&b->state, dirfd, b->stem, err) != 0 ||
	    tx_names_open(&b->names, dirfd, b->stem, host, err) != 0)
		return -1;
	/* New directory entries must outlive a power cut too. */
	if ((txt_new || vtt_new) && tx_sync(dirfd, sync) != 0) {
		rtw_error_set(err, "cannot sync the output directory: %s",
			      strerror(errno));
		return -1;
	}
	return 0;
}

/* Brings one file to the size recorded for it: cuts what a crash left
 * after the last recorded event. A file shorter than recorded lost data
 * outside our control (fsync = false and a power cut, or an operator):
 * say so and go on from its real end. */
static int bot_fit_file(struct tx_bot *b, int fd, const char *suffix,
			uint64_t *recorded, const struct rtw_host *host,
			struct rtw_error *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		rtw_error_set(err, "cannot stat %s%s: %s", b->stem, suffix,
			      strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size > *recorded) {
		host->log(host, RTW_LOG_NOTICE,
			  "%s%s: cutting %" PRIu64 " byte(s) written after "
			  "event %" PRIu64 " (it will be offered again)",
			  b->stem, suffix, (uint64_t)st.st_size - *recorded,
			  b->state.rec.seq);
		if (ftruncate(fd, (off_t)*recorded) != 0) {
			rtw_error_set(err, "cannot cut %s%s: %s", b->stem,
				      suffix, strerror(errno));
			return -1;
		}
	} else if ((uint64_t)st.st_size < *recorded) {
		host->log(host, RTW_LOG_WARNING,
			  "%s%s is %" PRIu64 " byte(s) shorter than "
			  "recorded: lines were lost outside rtwebhookd",
			  b->stem, suffix, *recorded - (uint64_t)st.st_size);
		*recorded = (uint64_t)st.st_size;
	}
	return 0;
}

/* The first open of a bot whose files exist without a .state (an older
 * version, or the operator removed it): their content is kept, and
 * events are appended after it. */
static int bot_adopt_files(struct tx_bot *b, struct tx_record *rec,
			   const struct rtw_host *host, struct rtw_error *err)
{
	struct stat txt, vtt;

	if (fstat(b->txt_fd, &txt) != 0 || fstat(b->vtt_fd, &vtt) != 0) {
		rtw_error_set(err, "cannot stat %s.txt/.vtt: %s", b->stem,
			      strerror(errno));
		return -1;
	}
	rec->seq = 0;
	rec->txt_size = (uint64_t)txt.st_size;
	rec->vtt_size = (uint64_t)vtt.st_size;
	if (rec->txt_size > 0)
		host->log(host, RTW_LOG_NOTICE,
			  "%s.txt exists without %s.state: appending after "
			  "its %" PRIu64 " byte(s)",
			  b->stem, b->stem, rec->txt_size);
	return 0;
}

/* Makes the files agree with .state, and starts the .vtt with its
 * header. */
static int bot_recover(struct tx_bot *b, int sync, const struct rtw_host *host,
		       struct rtw_error *err)
{
	struct tx_record rec = b->state.rec;

	int rc;

	if (b->state.found)
		rc = bot_fit_file(b, b->txt_fd, ".txt", &rec.txt_size, host,
				  err) ||
		     bot_fit_file(b, b->vtt_fd, ".vtt", &rec.vtt_size, host,
				  err);
	else
		rc = bot_adopt_files(b, &rec, host, err);
	if (rc != 0)
		return -1;
	if (rec.vtt_size == 0) {
		if (tx_write_at(b->vtt_fd, VTT_HEADER, strlen(VTT_HEADER), 0) !=
			0 ||
		    tx_sync(b->vtt_fd, sync) != 0) {
			rtw_error_set(err, "cannot write %s.vtt: %s", b->stem,
				      strerror(errno));
			return -1;
		}
		rec.vtt_size = strlen(VTT_HEADER);
	}
	if (b->state.found && memcmp(&rec, &b->state.rec, sizeof(rec)) == 0)
		return 0;
	return tx_state_save(&b->state, &rec, sync, err);
}

struct tx_bot *tx_bot_open(const char *id, int dirfd, int sync,
			   const struct rtw_host *host, struct rtw_error *err)
{
	struct tx_bot *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->id = strdup(id)) == NULL) {
		free(b);
		rtw_error_set(err, "out of memory");
		return NULL;
	}
	b->txt_fd = b->vtt_fd = b->state.fd = b->names.fd = -1;
	if (tx_stem_encode(id, b->stem) != 0) {
		rtw_error_set(err,
			      "bot id unusable as a file name (empty or "
			      "longer than %d bytes encoded)",
			      TX_STEM_MAX);
		goto fail;
	}
	if (bot_open_files(b, dirfd, sync, host, err) != 0 ||
	    bot_recover(b, sync, host, err) != 0)
		goto fail;
	return b;
fail:
	tx_bot_close(b);
	return NULL;
}

/* Cuts both files back to the recorded sizes after a failed append. */
static void bot_cut_back(struct tx_bot *b)
{
	if (ftruncate(b->txt_fd, (off_t)b->state.rec.txt_size) != 0 ||
	    ftruncate(b->vtt_fd, (off_t)b->state.rec.vtt_size) != 0) {
		/* The next open cuts them to the recorded sizes. */
	}
}

int tx_bot_append(struct tx_bot *b, uint64_t seq, const struct tx_buf *line,
		  const struct tx_buf *cue, int sync, struct rtw_error *err)
{
	const struct tx_record *old = &b->state.rec;
	struct tx_record rec = {seq, old->txt_size + line->len,
				old->vtt_size + cue->len};

	if (tx_write_at(b->txt_fd, line->data, line->len,
			(off_t)old->txt_size) != 0 ||
	    tx_write_at(b->vtt_fd, cue->data, cue->len, (off_t)old->vtt_size) !=
		0 ||
	    tx_sync(b->txt_fd, sync) != 0 || tx_sync(b->vtt_fd, sync) != 0) {
		rtw_error_set(err, "cannot write %s.txt/.vtt: %s", b->stem,
			      strerror(errno));
		bot_cut_back(b);
		return -1;
	}
	if (tx_state_save(&b->state, &rec, sync, err) != 0) {
		bot_cut_back(b);
		return -1;
	}
	return 0;
}

void tx_bot_close(struct tx_bot *b)
{
	if (b == NULL)
		return;
	if (b->txt_fd >= 0)
		close(b->txt_fd);
	if (b->vtt_fd >= 0)
		close(b->vtt_fd);
	tx_state_close(&b->state);
	tx_names_close(&b->names);
	tx_partials_free(&b->partials);
	free(b->id);
	free(b);
}
