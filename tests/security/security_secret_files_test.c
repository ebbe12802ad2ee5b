/* Files holding secrets that every user can read are warned about when
 * the configuration is loaded (here by `rtwebhookd -t`): the warning names
 * the file, never its content. Files under $CREDENTIALS_DIRECTORY are
 * systemd's to protect and are not warned about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sec_util.h"

#define WARNING "holds secrets and is readable by every user"

enum secret_place { INLINE_TOKENS, INLINE_SIGNING, TOKEN_FILE, CREDENTIAL };
enum warned { NO_WARNING, WARNS_CONF, WARNS_TOKEN_FILE };

struct mode_case {
	const char *why;
	enum secret_place place;
	mode_t conf_mode;
	mode_t token_file_mode; /* for TOKEN_FILE and CREDENTIAL */
	enum warned warned;
};

static const struct mode_case cases[] = {
	{"inline tokens, world-readable", INLINE_TOKENS, 0644, 0, WARNS_CONF},
	{"inline tokens, owner only", INLINE_TOKENS, 0600, 0, NO_WARNING},
	{"inline tokens, group-readable only", INLINE_TOKENS, 0640, 0,
	 NO_WARNING},
	{"inline signing secret, world-readable", INLINE_SIGNING, 0604, 0,
	 WARNS_CONF},
	{"token_file world-readable", TOKEN_FILE, 0600, 0644,
	 WARNS_TOKEN_FILE},
	{"token_file owner only", TOKEN_FILE, 0600, 0600, NO_WARNING},
	{"a world-readable config holding only a token_file path", TOKEN_FILE,
	 0644, 0600, NO_WARNING},
	{"token_file under $CREDENTIALS_DIRECTORY", CREDENTIAL, 0600, 0644,
	 NO_WARNING},
};

static const char *endpoint_for(enum secret_place place)
{
	switch (place) {
	case INLINE_TOKENS:
		return "tokens = [\"" SEC_TOKEN "\"];";
	case INLINE_SIGNING:
		return "signing_secrets = [\"" SEC_SIGNING_SECRET "\"];";
	case TOKEN_FILE:
		return "token_file = \"@DIR@/tokens\";";
	case CREDENTIAL:
		return "token_file = \"tokens\";";
	}
	return "";
}

/* Writes the case's configuration (and token file) into d's directory
 * with their modes; the path of the file expected in the warning goes to
 * warned_path (empty when none). */
static void write_case(struct daemon *d, const struct mode_case *c,
		       char *creds, size_t creds_len, char *warned_path,
		       size_t warned_len)
{
	char conf[1024], tokens[512];

	snprintf(conf, sizeof(conf),
		 "listen = { address = \"127.0.0.1\"; port = 0; };\n"
		 "spool = { dir = \"@DIR@/spool\"; };\n"
		 "endpoints = ( { path = \"" SEC_PATH "\"; %s } );\n"
		 SEC_HANDLERS,
		 endpoint_for(c->place));
	assert_int_equal(daemon_write(d, "rtwebhookd.conf", conf), 0);
	assert_int_equal(chmod(d->conf, c->conf_mode), 0);
	creds[0] = '\0';
	if (c->place == TOKEN_FILE) {
		daemon_path(d, "tokens", tokens, sizeof(tokens));
	} else if (c->place == CREDENTIAL) {
		/* The daemon's working directory: the file would be found
		 * (and its mode seen) with or without the variable. */
		snprintf(creds, creds_len, "%s", d->dir);
		daemon_path(d, "tokens", tokens, sizeof(tokens));
	}
	if (c->place == TOKEN_FILE || c->place == CREDENTIAL) {
		assert_int_equal(harness_write_file(tokens, SEC_TOKEN "\n",
						    strlen(SEC_TOKEN) + 1),
				 0);
		assert_int_equal(chmod(tokens, c->token_file_mode), 0);
	}
	snprintf(warned_path, warned_len, "%s",
		 c->warned == WARNS_CONF	 ? d->conf
		 : c->warned == WARNS_TOKEN_FILE ? tokens
						 : "");
}

static void secret_files_readable_by_every_user_are_warned_about(
	void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct mode_case *c = &cases[i];
		struct daemon *d = daemon_new();
		char creds[512], warned[512], mark[600];
		const char *argv[] = {"-t", "-c", NULL, NULL};
		struct run_result r;

		assert_non_null(d);
		argv[2] = d->conf;
		write_case(d, c, creds, sizeof(creds), warned, sizeof(warned));
		if (harness_run(argv, d->dir, creds[0] ? creds : NULL, &r) != 0)
			fail_msg("%s: -t exited %d:\n%s", c->why, r.status,
				 r.err);
		assert_non_null(strstr(r.out, "configuration OK"));
		if (c->warned == NO_WARNING) {
			if (strstr(r.err, WARNING) != NULL)
				fail_msg("%s: warned:\n%s", c->why, r.err);
		} else {
			snprintf(mark, sizeof(mark), "%s " WARNING, warned);
			if (harness_count(r.err, mark) != 1)
				fail_msg("%s: no one warning '%s':\n%s", c->why,
					 mark, r.err);
			/* Only that file is named. */
			if (harness_count(r.err, WARNING) != 1)
				fail_msg("%s: more warnings:\n%s", c->why,
					 r.err);
		}
		if (sec_secret_in(r.err, "stderr") != NULL ||
		    sec_secret_in(r.out, "stdout") != NULL)
			fail_msg("%s: a secret was printed", c->why);
		run_result_free(&r);
		daemon_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			secret_files_readable_by_every_user_are_warned_about),
	};

	return cmocka_run_group_tests_name("security_secret_files", tests, NULL,
					   NULL);
}
