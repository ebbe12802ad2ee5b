/* Opening a publishing connection (see redis_conn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "redis_conn.h"

static struct timeval ms_to_tv(int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (ms % 1000) * 1000};

	return tv;
}

/* Runs a command given as argv and checks that it did not fail. */
static int run(struct redis_conn *rc, int argc, const char **argv,
	       redisReply **out, char *why, size_t why_len)
{
	redisReply *r = redisCommandArgv(rc->ctx, argc, argv, NULL);

	if (r == NULL) {
		snprintf(why, why_len, "%s: %s", argv[0], rc->ctx->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, why_len, "%s refused: %s", argv[0], r->str);
		freeReplyObject(r);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		freeReplyObject(r);
	return 0;
}

static int authenticate(struct redis_conn *rc, const struct redis_config *c,
			char *why, size_t why_len)
{
	const char *argv[3] = {"AUTH"};
	int argc = 1;

	if (c->password == NULL)
		return 0;
	if (c->username != NULL)
		argv[argc++] = c->username;
	argv[argc++] = c->password;
	return run(rc, argc, argv, NULL, why, why_len);
}

static int select_database(struct redis_conn *rc, const struct redis_config *c,
			   char *why, size_t why_len)
{
	char db[16];
	const char *argv[] = {"SELECT", db};

	if (c->url.database <= 0)
		return 0;
	snprintf(db, sizeof(db), "%d", c->url.database);
	return run(rc, 2, argv, NULL, why, why_len);
}

int redis_conn_load_script(struct redis_conn *rc, const char *script, char *why,
			   size_t why_len)
{
	const char *argv[] = {"SCRIPT", "LOAD", script};
	redisReply *r;

	if (run(rc, 3, argv, &r, why, why_len) != 0)
		return -1;
	if (r->type != REDIS_REPLY_STRING || r->len != 40) {
		snprintf(why, why_len, "SCRIPT LOAD: unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	memcpy(rc->script_sha, r->str, 41);
	freeReplyObject(r);
	return 0;
}

static redisContext *connect_to(const struct redis_config *c)
{
	struct timeval tv = ms_to_tv(c->connect_timeout_ms);

	return c->url.unix_path != NULL
		   ? redisConnectUnixWithTimeout(c->url.unix_path, tv)
		   : redisConnectWithTimeout(c->url.host, c->url.port, tv);
}

static void describe(const struct redis_config *c, char *buf, size_t len)
{
	if (c->url.unix_path != NULL)
		snprintf(buf, len, "unix:%s", c->url.unix_path);
	else
		snprintf(buf, len, "%s:%d", c->url.host, c->url.port);
}

struct redis_conn *redis_conn_open(const struct redis_config *c,
				   const char *script, char *why,
				   size_t why_len)
{
	struct redis_conn *rc = calloc(1, sizeof(*rc));
	char where[300], reason[400] = "out of memory";

	if (rc == NULL)
		goto fail;
	rc->ctx = connect_to(c);
	if (rc->ctx == NULL)
		goto fail;
	if (rc->ctx->err != 0) {
		snprintf(reason, sizeof(reason), "%s", rc->ctx->errstr);
		goto fail;
	}
	if (redisSetTimeout(rc->ctx, ms_to_tv(c->timeout_ms)) != REDIS_OK ||
	    (c->url.unix_path == NULL &&
	     redisEnableKeepAlive(rc->ctx) != REDIS_OK)) {
		snprintf(reason, sizeof(reason), "cannot set socket options");
		goto fail;
	}
	if (authenticate(rc, c, reason, sizeof(reason)) != 0 ||
	    select_database(rc, c, reason, sizeof(reason)) != 0 ||
	    redis_conn_load_script(rc, script, reason, sizeof(reason)) != 0)
		goto fail;
	return rc;
fail:
	describe(c, where, sizeof(where));
	snprintf(why, why_len, "cannot connect to redis at %s: %s", where,
		 reason);
	redis_conn_close(rc);
	return NULL;
}

void redis_conn_close(struct redis_conn *rc)
{
	if (rc == NULL)
		return;
	if (rc->ctx != NULL)
		redisFree(rc->ctx);
	free(rc);
}
