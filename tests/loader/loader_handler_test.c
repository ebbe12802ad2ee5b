/* handler_open / handler_close: one configured handler instance. Success
 * gives the module a private state directory, its name and a logger; any
 * failure is one "file:line: handler 'x' ..." error and nothing loaded. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "good.h"
#include "loader_util.h"

#define GOOD_CONFIG "{\"tag\": 7}"

/* Opens the handler or fails the test with the collected errors. */
static void open_ok(struct handler *h, struct handler_setup *s)
{
	if (handler_open(h, &s->conf, &s->config, &s->errs) != 0)
		fail_msg("handler_open failed: %s",
			 s->errs.count ? s->errs.lines[0] : "(no error)");
	assert_int_equal(s->errs.count, 0);
}

static struct good_state *good_of(const struct handler *h)
{
	return h->state;
}

static char *state_dir_of(const struct handler_setup *s)
{
	char *dir = NULL;

	if (asprintf(&dir, "%s/handlers/%s", s->spool, s->conf.name) < 0)
		fail_msg("out of memory");
	return dir;
}

static enum rtw_result hand_event(struct handler *h, uint64_t seq)
{
	struct rtw_event ev = {.size = sizeof(ev), .seq = seq};
	struct rtw_error err = {{0}};

	return h->module.desc->handle(h->state, &ev, &err);
}

static void open_creates_a_private_state_directory(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char *dir = state_dir_of(s);
	struct handler h;
	struct stat st;

	open_ok(&h, s);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	handler_close(&h);
	free(dir);
	handler_setup_free(s);
}

static void init_sees_name_existing_state_dir_and_abi_version(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char *dir = state_dir_of(s);
	struct handler h;

	open_ok(&h, s);
	assert_string_equal(good_of(&h)->name, "archive");
	assert_string_equal(good_of(&h)->state_dir, dir);
	assert_true(good_of(&h)->state_dir_existed);
	assert_int_equal(good_of(&h)->abi_version, RTW_HANDLER_ABI_VERSION);
	handler_close(&h);
	free(dir);
	handler_setup_free(s);
}

static void init_receives_the_handler_config_group(void **state)
{
	struct handler_setup *s =
	    handler_setup_new("archive", "good", GOOD_CONFIG);
	struct handler h;

	open_ok(&h, s);
	assert_int_equal(good_of(&h)->tag, 7);
	handler_close(&h);
	handler_setup_free(s);
}

static void host_log_prefixes_lines_with_the_handler_name(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char *log_path = scratch_path(s->spool, "stderr.log");
	int saved = scratch_redirect(2, log_path, O_WRONLY | O_CREAT);
	struct handler h;
	int rc = handler_open(&h, &s->conf, &s->config, &s->errs);
	char *log;

	scratch_restore(2, saved);
	assert_int_equal(rc, 0);
	log = scratch_read(log_path, NULL);
	assert_contains(log, "handler archive: good: init archive");
	handler_close(&h);
	free(log);
	free(log_path);
	handler_setup_free(s);
}

static void close_runs_fini_exactly_once(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char *dir = state_dir_of(s);
	char *marker = scratch_path(dir, GOOD_FINI_MARKER);
	struct handler h;
	size_t len = 0;
	char *calls;

	open_ok(&h, s);
	assert_null(scratch_read(marker, NULL));
	handler_close(&h);
	calls = scratch_read(marker, &len);
	assert_non_null(calls);
	assert_int_equal(len, 1);
	free(calls);
	free(marker);
	free(dir);
	handler_setup_free(s);
}

static void
init_failure_is_one_error_with_file_line_module_and_reason(void **state)
{
	struct handler_setup *s = handler_setup_new(
	    "archive", "init_fails", "{\"reason\": \"needs a unicorn\"}");
	char expected[2048];
	struct handler h;

	assert_int_equal(handler_open(&h, &s->conf, &s->config, &s->errs),
			 -1);
	snprintf(expected, sizeof(expected),
		 "%s:%d: handler 'archive' (module %s): init failed: needs a "
		 "unicorn",
		 SETUP_CONF_FILE, SETUP_CONF_LINE, s->conf.module);
	assert_int_equal(s->errs.count, 1);
	assert_string_equal(s->errs.lines[0], expected);
	handler_setup_free(s);
}

/* init_fails aborts in fini, so reaching the end also proves fini was
 * not called after the failed init. */
static void init_failure_leaves_nothing_loaded(void **state)
{
	struct handler_setup *s =
	    handler_setup_new("archive", "init_fails", "{}");
	struct handler h;

	assert_int_equal(handler_open(&h, &s->conf, &s->config, &s->errs),
			 -1);
	assert_false(h.initialized);
	assert_null(h.module.dl);
	assert_null(h.state_dir);
	assert_false(still_loaded(s->conf.module));
	handler_close(&h); /* a second close is harmless */
	handler_setup_free(s);
}

static void init_failure_without_reason_says_so(void **state)
{
	struct handler_setup *s =
	    handler_setup_new("archive", "init_fails", "{}");
	struct handler h;

	assert_int_equal(handler_open(&h, &s->conf, &s->config, &s->errs),
			 -1);
	assert_int_equal(s->errs.count, 1);
	assert_contains(s->errs.lines[0], "init failed: no reason given");
	handler_setup_free(s);
}

static void load_failure_names_config_line_handler_and_file(void **state)
{
	struct handler_setup *s =
	    handler_setup_new("archive", "wrong_abi", "{}");
	char prefix[256];
	struct handler h;

	assert_int_equal(handler_open(&h, &s->conf, &s->config, &s->errs),
			 -1);
	snprintf(prefix, sizeof(prefix),
		 "%s:%d: handler 'archive': ", SETUP_CONF_FILE,
		 SETUP_CONF_LINE);
	assert_int_equal(s->errs.count, 1);
	assert_true(strncmp(s->errs.lines[0], prefix, strlen(prefix)) == 0);
	assert_contains(s->errs.lines[0], s->conf.module);
	assert_false(still_loaded(s->conf.module));
	handler_setup_free(s);
}

static void uncreatable_state_dir_fails_and_unloads(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char *file = scratch_path(s->spool, "not-a-dir");
	struct handler h;

	scratch_write(file, "x");
	free(s->config.spool_dir);
	s->config.spool_dir = file; /* handlers/ cannot be made under a file */
	assert_int_equal(handler_open(&h, &s->conf, &s->config, &s->errs),
			 -1);
	assert_int_equal(s->errs.count, 1);
	assert_contains(s->errs.lines[0], "cannot create");
	assert_contains(s->errs.lines[0], file);
	assert_false(still_loaded(s->conf.module));
	handler_setup_free(s);
}

static void two_instances_of_one_module_keep_separate_state(void **state)
{
	struct handler_setup *a = handler_setup_new("alpha", "good", "{}");
	struct handler_setup *b = handler_setup_new("beta", "good", "{}");
	struct handler ha, hb;

	open_ok(&ha, a);
	open_ok(&hb, b);
	assert_ptr_not_equal(ha.state, hb.state);
	for (uint64_t seq = 1; seq <= 3; seq++)
		assert_int_equal(hand_event(&ha, seq), RTW_OK);
	assert_int_equal(hand_event(&hb, 9), RTW_OK);
	assert_int_equal(good_of(&ha)->handled, 3);
	assert_int_equal(good_of(&hb)->handled, 1);
	assert_int_equal(good_of(&ha)->last_seq, 3);
	assert_int_equal(good_of(&hb)->last_seq, 9);
	assert_string_equal(good_of(&ha)->name, "alpha");
	assert_string_equal(good_of(&hb)->name, "beta");
	handler_close(&ha);
	handler_close(&hb);
	handler_setup_free(a);
	handler_setup_free(b);
}

static void closing_one_instance_keeps_the_other_loaded(void **state)
{
	struct handler_setup *a = handler_setup_new("alpha", "good", "{}");
	struct handler_setup *b = handler_setup_new("beta", "good", "{}");
	struct handler ha, hb;

	open_ok(&ha, a);
	open_ok(&hb, b);
	handler_close(&ha);
	assert_true(still_loaded(b->conf.module));
	assert_int_equal(hand_event(&hb, 1), RTW_OK);
	assert_int_equal(good_of(&hb)->handled, 1);
	handler_close(&hb);
	assert_false(still_loaded(b->conf.module));
	handler_setup_free(a);
	handler_setup_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(open_creates_a_private_state_directory),
	    cmocka_unit_test(init_sees_name_existing_state_dir_and_abi_version),
	    cmocka_unit_test(init_receives_the_handler_config_group),
	    cmocka_unit_test(host_log_prefixes_lines_with_the_handler_name),
	    cmocka_unit_test(close_runs_fini_exactly_once),
	    cmocka_unit_test(
		init_failure_is_one_error_with_file_line_module_and_reason),
	    cmocka_unit_test(init_failure_leaves_nothing_loaded),
	    cmocka_unit_test(init_failure_without_reason_says_so),
	    cmocka_unit_test(load_failure_names_config_line_handler_and_file),
	    cmocka_unit_test(uncreatable_state_dir_fails_and_unloads),
	    cmocka_unit_test(two_instances_of_one_module_keep_separate_state),
	    cmocka_unit_test(closing_one_instance_keeps_the_other_loaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
