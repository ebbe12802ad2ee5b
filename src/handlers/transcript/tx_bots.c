/* tx_bots: the bots whose files are open. A daemon runs for months and
 * sees thousands of bots, so at most TX_OPEN_BOTS stay open; the least
 * recently used is closed to make room (everything it needs is in its
 * files, and reopening it reads them back). */
#include <string.h>

#include "transcript.h"

static struct tx_bot *bots_find(struct tx_bots *bots, const char *id)
{
	for (size_t i = 0; i < bots->n; i++)
		if (strcmp(bots->v[i]->id, id) == 0)
			return bots->v[i];
	return NULL;
}

static void bots_close_oldest(struct tx_bots *bots)
{
	size_t oldest = 0;

	for (size_t i = 1; i < bots->n; i++)
		if (bots->v[i]->last_used < bots->v[oldest]->last_used)
			oldest = i;
	tx_bot_close(bots->v[oldest]);
	bots->v[oldest] = bots->v[--bots->n];
}

struct tx_bot *tx_bots_get(struct tx_bots *bots, const char *id, int dirfd,
			   int sync, const struct rtw_host *host,
			   struct rtw_error *err)
{
	struct tx_bot *b = bots_find(bots, id);

	if (b == NULL) {
		if (bots->n == TX_OPEN_BOTS)
			bots_close_oldest(bots);
		b = tx_bot_open(id, dirfd, sync, host, err);
		if (b == NULL)
			return NULL;
		bots->v[bots->n++] = b;
	}
	b->last_used = ++bots->clock;
	return b;
}

void tx_bots_close_all(struct tx_bots *bots)
{
	for (size_t i = 0; i < bots->n; i++)
		tx_bot_close(bots->v[i]);
	bots->n = 0;
}
