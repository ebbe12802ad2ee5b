/* inbox.c: events handed straight to a handler's dispatcher as they are
 * stored, so a handler that keeps up never rereads or reparses them. The
 * spool stays the source of truth: an event that does not fit (the inbox
 * is full because the handler is behind) is simply not offered, and the
 * dispatcher reads it from the spool when it gets there. Events live in
 * memory only while some handler still has to take them. Thread-safe. */
#ifndef RTW_INBOX_H
#define RTW_INBOX_H

#include <stdint.h>

#include "stored_event.h"

#define INBOX_CAPACITY 1024

struct inbox;

struct inbox *inbox_new(void);
void inbox_free(struct inbox *in);

/* Offers event seq (offered in increasing seq order). se is a new
 * reference that the inbox takes over, or NULL for an event the handler
 * does not want. Drops the offer (and the reference) when full. */
void inbox_offer(struct inbox *in, uint64_t seq, struct stored_event *se);

enum inbox_take {
	INBOX_MISSING,  /* not offered: read it from the spool */
	INBOX_EVENT,    /* *se is the event, the reference passes over */
	INBOX_UNWANTED, /* offered as not wanted by this handler */
};

/* Takes event seq, dropping older offers on the way. */
enum inbox_take inbox_take(struct inbox *in, uint64_t seq,
			   struct stored_event **se);

#endif
