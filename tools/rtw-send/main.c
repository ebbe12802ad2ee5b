/* rtw-send: sends Recall.ai real-time webhook events to a receiver the way
 * Recall does (per-bot order, retries, give-up, signatures), from JSON
 * Lines files or synthetic meetings, and reports what happened. main()
 * holds the lifecycle only; it is the one place that exits. */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "opts.h"
#include "sender.h"
#include "source.h"

#define EXIT_DELIVERED 0
#define EXIT_BOT_FAILED 1
#define EXIT_USAGE 2

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

/* SIGINT and SIGTERM end the run early with a summary; no SA_RESTART so
 * the wait in libcurl returns at once. */
static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int configure(const struct options *o, struct sender_config *cfg,
		     struct sign_key **key)
{
	char why[160];

	memset(cfg, 0, sizeof(*cfg));
	if (o->secret != NULL &&
	    (*key = sign_key_new(o->secret, why, sizeof(why))) == NULL) {
		warnx("--secret: %s", why);
		return -1;
	}
	if (sign_nonce(cfg->transfer.nonce) != 0) {
		warn("getrandom");
		return -1;
	}
	cfg->transfer.url = o->url;
	cfg->transfer.timeout_ms = o->timeout_ms;
	cfg->transfer.key = *key;
	cfg->transfer.svix = o->svix;
	cfg->concurrency = o->concurrency;
	cfg->retry_interval_ms = o->retry_interval_ms;
	cfg->max_retries = o->max_retries;
	cfg->rate = o->rate;
	cfg->speed = o->speed;
	cfg->progress = stderr;
	cfg->stop = &stop_requested;
	return 0;
}

static int send_all(const struct options *o, struct feed_set *feeds)
{
	struct sender_config cfg;
	struct sign_key *key = NULL;
	struct summary sum;
	int rc = EXIT_USAGE;

	summary_init(&sum);
	if (configure(o, &cfg, &key) != 0 || source_load(o, feeds) != 0)
		goto done;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		warnx("cannot initialise libcurl");
		goto done;
	}
	catch_stop_signals();
	if (sender_run(&cfg, feeds, &sum) == 0 &&
	    (o->json ? summary_print_json(&sum, stdout)
		     : summary_print_text(&sum, stdout)) == 0)
		rc = sum.bots_failed > 0 || sum.interrupted ? EXIT_BOT_FAILED
							     : EXIT_DELIVERED;
	curl_global_cleanup();
done:
	summary_free(&sum);
	sign_key_free(key);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct feed_set feeds;
	int rc;

	if (opts_parse(argc, argv, &o) != 0) {
		fprintf(stderr, "Try 'rtw-send --help'.\n");
		return EXIT_USAGE;
	}
	if (o.help) {
		opts_usage(stdout);
		return EXIT_DELIVERED;
	}
	if (o.version) {
		printf("rtw-send %s\n", RTW_VERSION);
		return EXIT_DELIVERED;
	}
	if (o.synth_out != NULL)
		return source_write_synth(&o.spec, o.synth_out) == 0
			       ? EXIT_DELIVERED
			       : EXIT_USAGE;
	feeds_init(&feeds);
	rc = send_all(&o, &feeds);
	feeds_free(&feeds);
	return rc;
}
