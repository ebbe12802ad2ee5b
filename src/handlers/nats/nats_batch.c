/* Asynchronous publishes confirmed at the flush (see nats_batch.h). */
#include <stdio.h>
#include <string.h>

#include "nats_batch.h"
#include "nats_stream.h"
#include "publish.h"

/* The batch (re)starts on the connection as it is now: what its flush
 * compares against. */
static void start_batch(struct nats_batch *b, struct natsconn *c)
{
	b->errors_seen = atomic_load(&c->async_errors);
	b->generation = atomic_load(&c->generation);
	b->unsent = 0;
	b->published = 0;
}

/* publish_item_async, noting that this context has published. */
static enum rtw_result publish_kept(struct nats_batch *b, struct natsconn *c,
				    jsCtx *js, const struct nats_item *it,
				    struct rtw_error *err)
{
	enum rtw_result r = publish_item_async(c, js, it, err);

	if (r == RTW_OK)
		b->published = 1;
	return r;
}

void nats_batch_init(struct nats_batch *b, struct natsconn *c)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	start_batch(b, c);
}

static void free_items(struct nats_item *it)
{
	while (it != NULL) {
		struct nats_item *next = it->next;

		nats_item_free(it);
		it = next;
	}
}

void nats_batch_destroy(struct nats_batch *b)
{
	free_items(b->head);
	pthread_mutex_destroy(&b->lock);
}

static void keep(struct nats_batch *b, struct nats_item *it)
{
	it->next = NULL;
	if (b->tail != NULL)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
}

/* Publishes every kept item again; the ones still awaiting an
 * acknowledgement are dropped first (their late acknowledgements are
 * ignored; JetStream drops the repeats it has by their message id). */
static void publish_again(struct nats_batch *b, struct natsconn *c, jsCtx *js)
{
	natsMsgList unconfirmed;
	struct rtw_error err;

	/* Only the context they went out on has them pending; one that
	 * never published has no list (libnats 3.4 crashes on it). */
	if (b->published && atomic_load(&c->generation) == b->generation &&
	    js_PublishAsyncGetPendingList(&unconfirmed, js) == NATS_OK)
		natsMsgList_Destroy(&unconfirmed);
	start_batch(b, c);
	for (struct nats_item *it = b->head; it != NULL; it = it->next)
		if (publish_kept(b, c, js, it, &err) != RTW_OK) {
			b->unsent = 1; /* the next flush sends all again */
			break;
		}
}

/* Could a kept item be missing from the stream while a later one is in
 * it? Yes once the connection they went out on was replaced, a publish
 * of theirs failed, or sending them again stopped short. */
static int batch_interrupted(const struct nats_batch *b, struct natsconn *c)
{
	return b->head != NULL &&
	       (b->unsent || atomic_load(&c->generation) != b->generation ||
		atomic_load(&c->async_errors) != b->errors_seen);
}

/* Publishes it after the kept items, which go out again first when they
 * may have been lost (a bot's next event never lands before them). */
static enum rtw_result publish_next(struct nats_batch *b, struct natsconn *c,
				    jsCtx *js, struct nats_item *it,
				    struct rtw_error *err)
{
	if (b->head == NULL)
		start_batch(b, c);
	else if (batch_interrupted(b, c))
		publish_again(b, c, js);
	if (b->unsent) {
		rtw_error_set(err, "the batch before it could not be sent "
				   "again");
		return RTW_RETRY;
	}
	return publish_kept(b, c, js, it, err);
}

enum rtw_result nats_batch_add(struct nats_batch *b, struct natsconn *c,
			       struct nats_item *it, struct rtw_error *err)
{
	enum rtw_result r;
	jsCtx *js;

	pthread_mutex_lock(&b->lock);
	if (natsconn_get(c, &js, err) != 0) {
		pthread_mutex_unlock(&b->lock);
		return RTW_RETRY;
	}
	r = stream_ensure(c, js, err);
	if (r == RTW_OK)
		r = publish_next(b, c, js, it, err);
	natsconn_put(c);
	if (r == RTW_OK) {
		keep(b, it);
		r = RTW_PENDING;
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

/* Waits for every acknowledgement; 0 when all came back without error on
 * the context the kept items were published on, else -1 with why. */
static int all_confirmed(struct nats_batch *b, struct natsconn *c, jsCtx *js,
			 char *why, size_t len)
{
	jsPubOptions po;
	natsStatus s;

	jsPubOptions_Init(&po);
	po.MaxWait = c->cfg->publish_timeout_ms;
	s = js_PublishAsyncComplete(js, &po);
	if (b->unsent) {
		snprintf(why, len, "not all of the batch could be sent");
		return -1;
	}
	if (atomic_load(&c->generation) != b->generation) {
		snprintf(why, len, "the NATS connection was replaced");
		return -1;
	}
	if (s != NATS_OK) {
		snprintf(why, len, "no JetStream acknowledgement within %d ms",
			 c->cfg->publish_timeout_ms);
		return -1;
	}
	if (atomic_load(&c->async_errors) != b->errors_seen) {
		char text[256];

		natsconn_async_error(c, text, sizeof(text));
		snprintf(why, len, "a publish of the batch failed: %s", text);
		return -1;
	}
	return 0;
}

enum rtw_result nats_batch_flush(struct nats_batch *b, struct natsconn *c,
				 struct rtw_error *err)
{
	char why[sizeof(err->message)] = "";
	jsCtx *js;

	pthread_mutex_lock(&b->lock);
	if (b->head == NULL) {
		pthread_mutex_unlock(&b->lock);
		return RTW_OK;
	}
	if (natsconn_get(c, &js, err) != 0) {
		pthread_mutex_unlock(&b->lock);
		return RTW_RETRY;
	}
	if (all_confirmed(b, c, js, why, sizeof(why)) == 0) {
		free_items(b->head);
		b->head = b->tail = NULL;
		natsconn_put(c);
		pthread_mutex_unlock(&b->lock);
		return RTW_OK;
	}
	publish_again(b, c, js);
	natsconn_put(c);
	pthread_mutex_unlock(&b->lock);
	rtw_error_set(err, "%s; the batch is sent again", why);
	return RTW_RETRY;
}
