/* One event into its stream (see redis_publish.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_publish.h"

/* KEYS[1] stream, KEYS[2] guard (absent: no guard); ARGV[1] guard TTL,
 * ARGV[2] MAXLEN ("0": no trimming), ARGV[3..] the entry's fields. */
const char redis_publish_script[] =
    "local guard = KEYS[2]\n"
    "if guard then\n"
    "  local seen = redis.call('GET', guard)\n"
    "  if seen then return {0, seen} end\n"
    "end\n"
    "local id\n"
    "if ARGV[2] ~= '0' then\n"
    "  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',\n"
    "                  unpack(ARGV, 3))\n"
    "else\n"
    "  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))\n"
    "end\n"
    "if guard then redis.call('SET', guard, id, 'EX', ARGV[1]) end\n"
    "return {1, id}\n";

/* Error replies that say "not now" rather than "never". Authentication
 * and permission errors are here too: the operator fixes the server and
 * the events flow on, in order, instead of all going to dead letters. */
static const char *const transient_errors[] = {
    "LOADING",	  "BUSY",      "TRYAGAIN", "CLUSTERDOWN",
    "MASTERDOWN", "READONLY",  "OOM",	   "NOREPLICAS",
    "NOAUTH",	  "WRONGPASS", "NOPERM",   "NOSCRIPT",
};

static int is_transient(const char *msg)
{
	for (size_t i = 0;
	     i < sizeof(transient_errors) / sizeof(*transient_errors); i++) {
		size_t n = strlen(transient_errors[i]);

		if (strncmp(msg, transient_errors[i], n) == 0 &&
		    (msg[n] == ' ' || msg[n] == '\0'))
			return 1;
	}
	return 0;
}

static enum publish_outcome read_reply(const redisReply *r, char *entry_id,
				       char *why, size_t why_len)
{
	const redisReply *flag, *id;

	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, why_len, "redis: %s", r->str);
		return is_transient(r->str) ? PUBLISH_RETRY : PUBLISH_FAIL;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    (flag = r->element[0])->type != REDIS_REPLY_INTEGER ||
	    (id = r->element[1])->type != REDIS_REPLY_STRING) {
		snprintf(why, why_len,
			 "redis: unexpected reply to the "
			 "publish script");
		return PUBLISH_FAIL;
	}
	snprintf(entry_id, 64, "%s", id->str);
	return flag->integer == 1 ? PUBLISH_ADDED : PUBLISH_DUPLICATE;
}

/* The EVALSHA command for x: its arguments in argv/len (room for
 * PUBLISH_ARGS), numbers formatted into nums. Returns the count. */
#define PUBLISH_ARGS 20
static int script_args(const struct redis_conn *rc,
		       const struct redis_config *c, const struct xadd *x,
		       char nums[3][24], const char **argv, size_t *len)
{
	int n = 0;

#define ARG(s, l) (argv[n] = (s), len[n] = (l), n++)
#define STR(s)	  ARG((s), strlen(s))
	snprintf(nums[0], 24, "%lld", c->dedup_ttl_s);
	snprintf(nums[1], 24, "%lld", c->maxlen);
	snprintf(nums[2], 24, "%" PRIu64, x->seq);
	STR("EVALSHA");
	STR(rc->script_sha);
	STR(x->guard != NULL ? "2" : "1");
	STR(x->stream);
	if (x->guard != NULL)
		STR(x->guard);
	STR(nums[0]);
	STR(nums[1]);
	STR("event");
	STR(x->type);
	STR("bot_id");
	STR(x->bot_id);
	STR("seq");
	STR(nums[2]);
	STR("key");
	STR(x->key);
	STR("json");
	ARG(x->body, x->body_len);
#undef STR
#undef ARG
	return n;
}

/* Queues the script for x on rc's output buffer (sent by the next read).
 * 0, or -1 when out of memory. */
static int append_script(struct redis_conn *rc, const struct redis_config *c,
			 const struct xadd *x)
{
	const char *argv[PUBLISH_ARGS];
	size_t len[PUBLISH_ARGS];
	char nums[3][24];
	int n = script_args(rc, c, x, nums, argv, len);

	return redisAppendCommandArgv(rc->ctx, n, argv, len) == REDIS_OK ? 0
									 : -1;
}

/* The next reply on rc; NULL when the connection broke (why set). */
static redisReply *next_reply(struct redis_conn *rc, char *why,
			      size_t why_len)
{
	void *r = NULL;

	if (redisGetReply(rc->ctx, &r) != REDIS_OK || r == NULL) {
		snprintf(why, why_len, "redis: %s", rc->ctx->errstr);
		return NULL;
	}
	return r;
}

static int is_noscript(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* Sends the scripts of xs[0..n) in one write and reads their replies in
 * order. res->done grows by how many from the start are in (added or
 * duplicate); *noscript: the server had lost the script. The outcome of
 * the first that is not in. */
static enum publish_outcome pipeline(struct redis_conn *rc,
				     const struct redis_config *c,
				     struct xadd *const *xs, size_t n,
				     struct batch_result *res, int *noscript,
				     char *why, size_t why_len)
{
	enum publish_outcome out = PUBLISH_ADDED;
	char entry_id[64];
	size_t i;

	*noscript = 0;
	for (i = 0; i < n; i++)
		if (append_script(rc, c, xs[i]) != 0) {
			snprintf(why, why_len, "out of memory");
			return PUBLISH_BROKEN; /* half a command may be queued */
		}
	/* Every reply is read, so the connection stays usable. */
	for (i = 0; i < n; i++) {
		redisReply *r = next_reply(rc, why, why_len);
		enum publish_outcome one;

		if (r == NULL)
			return PUBLISH_BROKEN;
		*noscript |= is_noscript(r);
		if (out == PUBLISH_ADDED || out == PUBLISH_DUPLICATE) {
			one = read_reply(r, entry_id, why, why_len);
			if (one == PUBLISH_DUPLICATE && res->on_duplicate)
				res->on_duplicate(res->arg, xs[i], entry_id);
			if (one == PUBLISH_ADDED || one == PUBLISH_DUPLICATE) {
				res->done++;
			} else {
				res->failed_seq = xs[i]->seq;
				out = one;
			}
		}
		freeReplyObject(r);
	}
	return out;
}

/* The server lost its script cache (restart, SCRIPT FLUSH): load it
 * again and go on, once. */
enum publish_outcome redis_publish_batch(struct redis_conn *rc,
					 const struct redis_config *c,
					 struct xadd *const *xs, size_t n,
					 struct batch_result *res, char *why,
					 size_t why_len)
{
	enum publish_outcome out;
	int noscript;

	res->done = 0;
	res->failed_seq = 0;
	for (int attempt = 0;; attempt++) {
		out = pipeline(rc, c, xs + res->done, n - res->done, res,
			       &noscript, why, why_len);
		if (out == PUBLISH_BROKEN || !noscript || attempt > 0)
			return out;
		if (redis_conn_load_script(rc, redis_publish_script, why,
					   why_len) != 0)
			return PUBLISH_BROKEN;
	}
}

enum publish_outcome redis_publish(struct redis_conn *rc,
				   const struct redis_config *c,
				   const struct xadd *x, char *entry_id,
				   char *why, size_t why_len)
{
	for (int attempt = 0;; attempt++) {
		redisReply *r;
		enum publish_outcome out;

		if (append_script(rc, c, x) != 0) {
			snprintf(why, why_len, "out of memory");
			return PUBLISH_BROKEN;
		}
		r = next_reply(rc, why, why_len);
		if (r == NULL)
			return PUBLISH_BROKEN;
		out = read_reply(r, entry_id, why, why_len);
		if (attempt == 0 && is_noscript(r)) {
			freeReplyObject(r);
			if (redis_conn_load_script(rc, redis_publish_script,
						   why, why_len) != 0)
				return PUBLISH_BROKEN;
			continue;
		}
		freeReplyObject(r);
		return out;
	}
}
