/* A reload keeps the configuration it replaced (handlers it opened may
 * still use it) until the daemon exits; its endpoints' secrets are
 * scrambled once no request can be reading them, request_timeout_s and a
 * margin after the reload: the old token matches no more, the old signing
 * key bytes are gone, and the running configuration is untouched. The real
 * runtime, in process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "errlist.h"
#include "reload.h"
#include "runtime.h"
#include "runtime_fixture.h"
#include "secret.h"
#include "util.h"

#define SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define KEY    "test-recall-secret" /* the base64 part, decoded */

struct fixture {
	char dir[64];
	char conf[128];
	struct runtime *rt;
};

static void write_config(const struct fixture *fx, const char *token)
{
	FILE *f = fopen(fx->conf, "w");

	assert_non_null(f);
	fprintf(f,
		"listen = { address = \"127.0.0.1\"; port = 0; };\n"
		"limits = { request_timeout_s = 5; };\n"
		"spool = { dir = \"%s/spool\"; fsync = \"off\"; };\n"
		"endpoints = ( { path = \"/recall/events\";\n"
		"  tokens = [\"%s\"]; signing_secrets = [\"" SECRET "\"]; } );\n"
		"handlers = ( { name = \"archive\"; module = \"%s\";\n"
		"  config = { path = \"%s/events.jsonl\"; }; } );\n",
		fx->dir, token, RTW_BINARY_DIR "/handlers/jsonl.so", fx->dir);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	runtime_fixture_dir("/tmp/rtw-scramble-XXXXXX", fx->dir,
			    sizeof(fx->dir), fx->conf, sizeof(fx->conf));
	write_config(fx, "old-token");
	fx->rt = runtime_fixture_start(fx->conf);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	runtime_fixture_stop(fx->rt, fx->dir);
	free(fx);
	return 0;
}

static int token_matches(const struct config *c, const char *token)
{
	const struct endpoint_conf *ep = &c->endpoints[0];

	return secret_token_matches(ep->tokens, ep->ntokens, token,
				    strlen(token));
}

static int key_is(const struct config *c, const char *key)
{
	const struct signing_key *k = &c->endpoints[0].signing_keys[0];

	return k->len == strlen(key) && memcmp(k->bytes, key, k->len) == 0;
}

static void a_replaced_configurations_secrets_are_scrambled_later(
    void **state)
{
	struct fixture *fx = *state;
	struct errlist errs = {0};
	const struct config *old;
	int64_t reloaded;
	char why[256];

	write_config(fx, "new-token");
	assert_int_equal(
	    runtime_reload(fx->rt, fx->conf, &errs, why, sizeof(why)), 0);
	reloaded = mono_ms();
	assert_int_equal(fx->rt->nretired_confs, 1);
	old = fx->rt->retired_confs[0].conf;

	/* within request_timeout_s (5 s) and the margin after it, a
	 * request may still read them */
	reload_scramble_retired(fx->rt, reloaded + 4000);
	assert_true(token_matches(old, "old-token"));
	assert_true(key_is(old, KEY));
	reload_scramble_retired(fx->rt,
				reloaded + 5000 + RETIRED_SECRETS_MARGIN_MS -
				    1000);
	assert_true(token_matches(old, "old-token"));

	reload_scramble_retired(fx->rt,
				reloaded + 5000 + RETIRED_SECRETS_MARGIN_MS +
				    1000);
	assert_false(token_matches(old, "old-token"));
	assert_false(key_is(old, KEY));
	/* the running configuration keeps its own */
	assert_true(token_matches(fx->rt->conf, "new-token"));
	assert_true(key_is(fx->rt->conf, KEY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_replaced_configurations_secrets_are_scrambled_later, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
