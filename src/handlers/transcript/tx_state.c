/* tx_state: <stem>.state, the record of the last event written for a bot
 * and of the sizes its .txt and .vtt had right after it.
 *
 * The file holds two slots of TX_SLOT bytes, each one text line
 *   "<seq> <txt size> <vtt size> <checksum>" (hex, padded)
 * written in turn. A crash can tear only the slot being written; the
 * other still holds the previous record, and the checksum tells which is
 * whole. Readable with cat, for an operator looking into a problem. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "transcript.h"

#define TX_SLOT	    64
#define TX_SLOT_SUM 50 /* the three numbers and their separators */

/* FNV-1a: enough to tell a torn slot from a whole one. */
static uint32_t slot_checksum(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void slot_format(const struct tx_record *rec, char slot[TX_SLOT])
{
	int n =
	    snprintf(slot, TX_SLOT, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64,
		     rec->seq, rec->txt_size, rec->vtt_size);

	snprintf(slot + n, (size_t)(TX_SLOT - n), " %08" PRIx32,
		 slot_checksum(slot, TX_SLOT_SUM));
	n += 9;
	memset(slot + n, ' ', (size_t)(TX_SLOT - 1 - n));
	slot[TX_SLOT - 1] = '\n';
}

/* 1 when slot holds a whole record (then in *rec), else 0. */
static int slot_parse(const char *slot, struct tx_record *rec)
{
	char copy[TX_SLOT + 1];
	uint32_t sum;

	memcpy(copy, slot, TX_SLOT);
	copy[TX_SLOT] = '\0';
	if (sscanf(copy, "%16" SCNx64 " %16" SCNx64 " %16" SCNx64 " %8" SCNx32,
		   &rec->seq, &rec->txt_size, &rec->vtt_size, &sum) != 4)
		return 0;
	return sum == slot_checksum(copy, TX_SLOT_SUM);
}

static void state_read_slots(struct tx_state *st)
{
	char buf[2 * TX_SLOT];
	ssize_t got = pread(st->fd, buf, sizeof(buf), 0);

	for (unsigned i = 0; got > 0 && i < 2; i++) {
		struct tx_record rec;

		if ((size_t)got < (i + 1) * TX_SLOT ||
		    !slot_parse(buf + i * TX_SLOT, &rec))
			continue;
		if (!st->found || rec.seq > st->rec.seq) {
			st->rec = rec;
			st->found = 1;
			st->next_slot = 1 - i; /* never overwrite the newest */
		}
	}
}

int tx_state_open(struct tx_state *st, int dirfd, const char *stem,
		  struct rtw_error *err)
{
	memset(st, 0, sizeof(*st));
	st->fd = tx_open_in(dirfd, stem, ".state", O_RDWR | O_CREAT, NULL);
	if (st->fd < 0) {
		rtw_error_set(err, "cannot open %s.state: %s", stem,
			      strerror(errno));
		return -1;
	}
	state_read_slots(st);
	return 0;
}

int tx_state_save(struct tx_state *st, const struct tx_record *rec, int sync,
		  struct rtw_error *err)
{
	char slot[TX_SLOT];

	slot_format(rec, slot);
	if (tx_write_at(st->fd, slot, TX_SLOT,
			(off_t)st->next_slot * TX_SLOT) != 0 ||
	    tx_sync(st->fd, sync) != 0) {
		rtw_error_set(err, "cannot record progress in .state: %s",
			      strerror(errno));
		return -1;
	}
	st->rec = *rec;
	st->found = 1;
	st->next_slot = 1 - st->next_slot;
	return 0;
}

void tx_state_close(struct tx_state *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}
