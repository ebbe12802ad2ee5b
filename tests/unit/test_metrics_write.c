/* test_metrics_write.c: the handler counter families of GET /metrics, as
 * text: answers and flushes counted per handler and result, and handler
 * names escaped as Prometheus label values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char *render(const struct metrics *m,
		    const struct metrics_handler_entry *handlers, size_t n)
{
	static const char *const endpoints[] = {"/recall/events"};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	metrics_write(m, endpoints, handlers, n, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void expect_line(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void handler_counters_by_result(void **state)
{
	struct metrics *m = metrics_new(1);
	struct handler_metrics *sink = metrics_handler(m, "sink");
	struct handler_metrics *weird = metrics_handler(m, "we\"ird\\name");
	struct metrics_handler_entry handlers[] = {
		{"sink", sink}, {"we\"ird\\name", weird}};
	char *text;

	(void)state;
	assert_non_null(m);
	assert_non_null(sink);
	assert_non_null(weird);
	metrics_count_handled(sink, RTW_OK, 10);
	metrics_count_handled(sink, RTW_PENDING, 10);
	metrics_count_handled(sink, RTW_RETRY, 10);
	metrics_count_handled(weird, RTW_FAIL, 10);
	metrics_count_flush(sink, 1);
	metrics_count_flush(sink, 1);
	metrics_count_flush(sink, 0);
	text = render(m, handlers, 2);
	expect_line(text, "# TYPE rtwebhookd_handler_results_total counter\n");
	expect_line(text, "rtwebhookd_handler_results_total{handler=\"sink\","
			  "result=\"ok\"} 2\n");
	expect_line(text, "rtwebhookd_handler_results_total{handler=\"sink\","
			  "result=\"retry\"} 1\n");
	expect_line(text, "rtwebhookd_handler_results_total{handler="
			  "\"we\\\"ird\\\\name\",result=\"fail\"} 1\n");
	expect_line(text, "# TYPE rtwebhookd_handler_flushes_total counter\n");
	expect_line(text, "rtwebhookd_handler_flushes_total{handler=\"sink\","
			  "result=\"ok\"} 2\n");
	expect_line(text, "rtwebhookd_handler_flushes_total{handler=\"sink\","
			  "result=\"retry\"} 1\n");
	expect_line(text, "rtwebhookd_handler_flushes_total{handler="
			  "\"we\\\"ird\\\\name\",result=\"ok\"} 0\n");
	/* Asking again for a name gives the same counters. */
	assert_ptr_equal(metrics_handler(m, "sink"), sink);
	free(text);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handler_counters_by_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
