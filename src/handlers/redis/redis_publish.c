/* One event into its stream (see redis_publish.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_key.h"
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

/* The guard key of an event in stream: rtw:seen:{<stream>}:<key>. */
static char *guard_key(const char *stream, const char *key)
{
	char *g = NULL;

	return asprintf(&g, "rtw:seen:{%s}:%s", stream, key) < 0 ? NULL : g;
}

/* Runs the script once; *reply is NULL when the connection broke. */
static redisReply *run_script(struct redis_conn *rc,
			      const struct redis_config *c,
			      const struct rtw_event *ev, const char *stream,
			      const char *guard, const char *key)
{
	char ttl[24], maxlen[24], seq[24];
	const char *argv[20];
	size_t len[20];
	int n = 0;

#define ARG(s, l) (argv[n] = (s), len[n] = (l), n++)
#define STR(s)	  ARG((s), strlen(s))
	snprintf(ttl, sizeof(ttl), "%lld", c->dedup_ttl_s);
	snprintf(maxlen, sizeof(maxlen), "%lld", c->maxlen);
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	STR("EVALSHA");
	STR(rc->script_sha);
	STR(guard != NULL ? "2" : "1");
	STR(stream);
	if (guard != NULL)
		STR(guard);
	STR(ttl);
	STR(maxlen);
	STR("event");
	STR(ev->type_name);
	STR("bot_id");
	STR(ev->bot_id != NULL ? ev->bot_id : "");
	STR("seq");
	STR(seq);
	STR("key");
	STR(key);
	STR("json");
	ARG(ev->body, ev->body_len);
#undef STR
#undef ARG
	return redisCommandArgv(rc->ctx, n, argv, len);
}

static enum publish_outcome
publish_to(struct redis_conn *rc, const struct redis_config *c,
	   const struct rtw_event *ev, const char *stream, const char *guard,
	   const char *key, char *entry_id, char *why, size_t why_len)
{
	for (int attempt = 0;; attempt++) {
		redisReply *r = run_script(rc, c, ev, stream, guard, key);
		enum publish_outcome out;

		if (r == NULL) {
			snprintf(why, why_len, "redis: %s", rc->ctx->errstr);
			return PUBLISH_BROKEN;
		}
		out = read_reply(r, entry_id, why, why_len);
		/* The server lost its script cache (restart, SCRIPT FLUSH):
		 * load it again and go on, once. */
		if (attempt == 0 && r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0) {
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

enum publish_outcome redis_publish(struct redis_conn *rc,
				   const struct redis_config *c,
				   const struct rtw_event *ev, char *entry_id,
				   char *why, size_t why_len)
{
	char fallback[EVENT_KEY_FALLBACK_LEN];
	const char *key = event_key(ev, fallback);
	char *stream, *guard = NULL;
	enum publish_outcome out;
	int oom;

	stream = stream_name_expand(c->stream, ev, &oom, why, why_len);
	if (stream == NULL)
		return oom ? PUBLISH_RETRY : PUBLISH_FAIL;
	if (c->dedup_ttl_s > 0 && (guard = guard_key(stream, key)) == NULL) {
		snprintf(why, why_len, "out of memory");
		free(stream);
		return PUBLISH_RETRY;
	}
	out = publish_to(rc, c, ev, stream, guard, key, entry_id, why, why_len);
	free(guard);
	free(stream);
	return out;
}
