/* The fault test of issue 3: several senders that behave like Recall
 * (each bot's events one at a time; on a network error, a timeout or a
 * non-2xx answer the same event again one second later, at most 60 times)
 * post to the real daemon while it is SIGKILLed several times and
 * restarted on the same configuration and spool. Afterwards:
 *  - no sender gave up (about a minute of errors would kill a meeting);
 *  - every event a sender saw acknowledged is in the jsonl sink exactly
 *    once (events are told apart by a mark naming bot and index);
 *  - each bot's events are in the sink in the order they were sent, with
 *    increasing sequence numbers.
 *
 * Variants: SIGKILL with fsync "batch" (the centrepiece, 6 bots x 150
 * events), SIGKILL with fsync "off" (README: a daemon crash loses nothing
 * in that mode either), and SIGTERM under the same load (a graceful stop
 * answers what is in flight and exits 0, and loses or repeats nothing).
 *
 * The kills happen at random points (seeded; the seed is printed, and
 * DINT_SEED=<n> repeats a run), one in each of four slices of the run, so
 * they are spread over it whatever the machine's speed. Kills 1 and 3 hit
 * the daemon in full flow (requests in flight, waiting for their flush);
 * kills 2 and 4 in a quiet moment: the senders hold their next event until
 * nothing is in flight, so the newest record in the spool is one already
 * acknowledged (and probably handled) - the case where a recovery that
 * cut one record too many would lose an acknowledged event. Each restart gets
 * a new port (port 0), which the senders read at every attempt: for them
 * it is the same as the daemon being down for a moment. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dint_util.h"

#define BOTS	    6
#define MAX_PER_BOT 150
#define KILLS	    4
/* Between two events a sender pauses 0..PACE_MS ms (a meeting's events
 * are not back to back), so the run lasts long enough to kill into. */
#define PACE_MS 6
/* Senders hold their next event for a quiet kill at most this long. */
#define HOLD_LIMIT_MS 5000
/* The whole run must end within this (the test's own bound). */
#define RUN_LIMIT_MS 90000

/* One variant of the test. */
struct fault_params {
	const char *fsync; /* spool.fsync */
	int sig;	   /* SIGKILL or SIGTERM */
	int per_bot;	   /* events per bot */
	/* A new connection per request. With SIGTERM this matters: the
	 * daemon keeps serving open keep-alive connections while it drains
	 * them (up to 2 s), so reused connections would carry the whole run
	 * through the first stop. */
	int fresh_connections;
};

struct fault_run;

struct bot_run {
	struct fault_run *run;
	char name[32];
	unsigned seed;
	struct dint_sender sender;
	long status[MAX_PER_BOT]; /* final answer per event, 0: gave up */
	int sent;		  /* events done (acknowledged or given up) */
	pthread_t thread;
};

struct fault_run {
	const struct fault_params *p;
	int total; /* events to send, all bots */
	atomic_int port;
	atomic_int acked;     /* events acknowledged so far, all bots */
	atomic_int finished;  /* sender threads done */
	atomic_int abandon;   /* the test failed: senders stop at once */
	atomic_int hold;      /* senders wait before their next event */
	atomic_int in_flight; /* senders inside dint_sender_send */
	struct bot_run bots[BOTS];
};

static void *sender_main(void *arg)
{
	struct bot_run *b = arg;
	char body[2048];

	for (int i = 0; i < b->run->p->per_bot; i++) {
		size_t len = dint_event(b->name, i, body, sizeof(body));
		int64_t held_until = dint_now_ms() + HOLD_LIMIT_MS;

		while (atomic_load(&b->run->hold) && dint_now_ms() < held_until)
			dint_sleep_ms(1);
		atomic_fetch_add(&b->run->in_flight, 1);
		b->status[i] = dint_sender_send(&b->sender, body, len);
		atomic_fetch_sub(&b->run->in_flight, 1);
		b->sent = i + 1;
		if (b->status[i] == 0)
			break; /* Recall marks the endpoint failed: no more */
		atomic_fetch_add(&b->run->acked, 1);
		dint_sleep_ms((long)(rand_r(&b->seed) % (PACE_MS + 1)));
	}
	atomic_fetch_add(&b->run->finished, 1);
	return NULL;
}

static int setup_with(void **state, const struct fault_params *p)
{
	struct daemon *d = daemon_new();
	char spool_extra[64];

	*state = d;
	snprintf(spool_extra, sizeof(spool_extra), "fsync = \"%s\";", p->fsync);
	if (d == NULL ||
	    dint_configure(d, spool_extra,
			   "handlers = ( { name = \"archive\"; module = "
			   "\"jsonl\";\n"
			   "  config = { path = \"@DIR@/events.jsonl\"; }; } "
			   ");\n") != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static const struct fault_params sigkill_batch = {"batch", SIGKILL, 150, 0};
static const struct fault_params sigkill_off = {"off", SIGKILL, 80, 0};
static const struct fault_params sigterm_batch = {"batch", SIGTERM, 100, 1};

static int setup_sigkill_batch(void **state)
{
	return setup_with(state, &sigkill_batch);
}

static int setup_sigkill_off(void **state)
{
	return setup_with(state, &sigkill_off);
}

static int setup_sigterm_batch(void **state)
{
	return setup_with(state, &sigterm_batch);
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static unsigned pick_seed(void)
{
	const char *env = getenv("DINT_SEED");

	if (env != NULL && env[0] != '\0')
		return (unsigned)strtoul(env, NULL, 10);
	return (unsigned)time(NULL) ^ (unsigned)getpid();
}

/* Kill k happens once this many events are acknowledged: a random point
 * in slice k of the run (slices of [10%, 90%]). */
static int kill_point(int k, int total, unsigned *seed)
{
	double lo = 0.10 + 0.20 * k, span = 0.15;
	double at = lo + span * ((double)(rand_r(seed) % 1000) / 1000.0);

	return (int)(at * total);
}

/* Kills the daemon (p->sig) at each kill point while the senders run,
 * restarts it after a random pause. A SIGTERM must end in exit status 0.
 * Returns the number of kills, or -1 when the daemon did not die as it
 * should or could not be restarted (logged). */
static int kill_and_restart(struct daemon *d, struct fault_run *run,
			    unsigned *seed, int64_t deadline)
{
	int kills = 0;

	while (kills < KILLS) {
		int point = kill_point(kills, run->total, seed);
		int expect = run->p->sig == SIGKILL ? 128 + SIGKILL : 0;
		long down_ms;
		int status = -1, at, quiet;

		while (atomic_load(&run->acked) < point &&
		       atomic_load(&run->finished) < BOTS &&
		       dint_now_ms() < deadline)
			dint_sleep_ms(1);
		if (atomic_load(&run->acked) < point)
			break; /* the senders are done (or the time is up) */
		quiet = kills % 2 == 1;
		if (quiet) {
			int64_t until = dint_now_ms() + HOLD_LIMIT_MS / 2;

			atomic_store(&run->hold, 1);
			while (atomic_load(&run->in_flight) > 0 &&
			       dint_now_ms() < until)
				dint_sleep_ms(1);
			/* Give the handler time to write the last events. */
			dint_sleep_ms((long)(rand_r(seed) % 100));
		}
		at = atomic_load(&run->acked);
		if (daemon_signal(d, run->p->sig) == 0)
			status = daemon_wait(d, 20000);
		if (status != expect) {
			fprintf(stderr,
				"the daemon ended with %d after %s, not "
				"%d\n",
				status, strsignal(run->p->sig), expect);
			return -1;
		}
		kills++;
		down_ms = (long)(rand_r(seed) % 800);
		print_message("%s %d (%s) at %d acknowledged; down for %ld "
			      "ms\n",
			      run->p->sig == SIGKILL ? "SIGKILL" : "SIGTERM",
			      kills, quiet ? "quiet" : "in full flow", at,
			      down_ms);
		dint_sleep_ms(down_ms);
		if (daemon_start(d, NULL) != 0)
			return -1;
		atomic_store(&run->port, d->port);
		atomic_store(&run->hold, 0);
	}
	return kills;
}

/* Every event acknowledged to a sender, exactly once, in send order. */
static void check_output(struct daemon *d, struct fault_run *run,
			 int expected_lines)
{
	struct jsonl_entry *entries;
	char path[512];
	size_t n, bad;
	int *seen, failures = 0;

	entries = jsonl_read(daemon_path(d, "events.jsonl", path, sizeof(path)),
			     &n, &bad);
	assert_non_null(entries);
	assert_int_equal(bad, 0);
	seen = calloc(n + 1, sizeof(*seen));
	assert_non_null(seen);
	for (int b = 0; b < BOTS; b++) {
		struct bot_run *br = &run->bots[b];
		int seq_ok, acked_prefix = 0;
		size_t k =
		    dint_jsonl_indices(entries, n, br->name, seen, &seq_ok);

		while (acked_prefix < run->p->per_bot &&
		       br->status[acked_prefix] == 200)
			acked_prefix++;
		if (dint_check_range("jsonl sink", br->name, seen, k, 0,
				     acked_prefix) != 0)
			failures++;
		if (seq_ok != 0) {
			fprintf(stderr,
				"bot %s: sequence numbers do not "
				"increase in the sink\n",
				br->name);
			failures++;
		}
	}
	/* Sequence numbers are unique within the spool. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (entries[i].seq == entries[j].seq) {
				fprintf(stderr,
					"seq %llu is in the sink twice\n",
					(unsigned long long)entries[i].seq);
				failures++;
			}
	if ((int)n != expected_lines) {
		fprintf(stderr, "the sink holds %zu events, %d expected\n", n,
			expected_lines);
		failures++;
	}
	free(seen);
	free(entries);
	if (failures > 0)
		fail_msg("%d check(s) of the jsonl sink failed (see above)",
			 failures);
}

static void run_fault_test(struct daemon *d, const struct fault_params *p)
{
	struct fault_run *run = calloc(1, sizeof(*run));
	unsigned seed = pick_seed();
	unsigned long attempts = 0, retries = 0, gave_up = 0;
	int64_t start = dint_now_ms();
	int kills, acked = 0;
	char path[512];

	assert_non_null(run);
	run->p = p;
	run->total = BOTS * p->per_bot;
	print_message("fsync %s, %s, %d bots x %d events; seed %u "
		      "(DINT_SEED=%u repeats this run)\n",
		      p->fsync, p->sig == SIGKILL ? "SIGKILL" : "SIGTERM", BOTS,
		      p->per_bot, seed, seed);
	assert_int_equal(daemon_start(d, NULL), 0);
	atomic_store(&run->port, d->port);
	for (int b = 0; b < BOTS; b++) {
		struct bot_run *br = &run->bots[b];

		br->run = run;
		snprintf(br->name, sizeof(br->name), "fault-bot-%d", b);
		br->seed = seed + (unsigned)b;
		dint_sender_init(&br->sender, &run->port);
		br->sender.abandon = &run->abandon;
		br->sender.fresh_connections = p->fresh_connections;
	}
	for (int b = 0; b < BOTS; b++)
		assert_int_equal(pthread_create(&run->bots[b].thread, NULL,
						sender_main, &run->bots[b]),
				 0);

	kills = kill_and_restart(d, run, &seed, start + RUN_LIMIT_MS);
	if (kills < 0)
		atomic_store(&run->abandon, 1);

	for (int b = 0; b < BOTS; b++) {
		struct bot_run *br = &run->bots[b];

		pthread_join(br->thread, NULL);
		attempts += br->sender.attempts;
		retries += br->sender.retries;
		gave_up += br->sender.gave_up;
		for (int i = 0; i < br->sent; i++)
			acked += br->status[i] == 200;
		dint_sender_free(&br->sender);
	}
	print_message("%d kill(s); %d event(s) acknowledged of %d; %lu "
		      "attempt(s), %lu sender retr%s, %lu gave up; senders "
		      "done after %lld ms\n",
		      kills, acked, run->total, attempts, retries,
		      retries == 1 ? "y" : "ies", gave_up,
		      (long long)(dint_now_ms() - start));
	if (kills < 0)
		fail_msg("the daemon could not be restarted after a kill");
	if (kills < 3)
		fail_msg("only %d kill(s) happened, at least 3 needed", kills);
	if (gave_up > 0)
		fail_msg("%lu sender(s) gave up after 60 retries: Recall would "
			 "have killed the meeting's feed",
			 gave_up);
	assert_int_equal(acked, run->total);

	/* Handlers work after the 200: wait (bounded) for the sink. */
	daemon_path(d, "events.jsonl", path, sizeof(path));
	dint_wait_count_settled(path, "{\"_rtwebhookd\":", (size_t)run->total,
				5000, 30000);
	assert_int_equal(daemon_stop(d), 0);
	check_output(d, run, run->total);
	free(run);
}

static void
acknowledged_events_survive_sigkill_exactly_once_in_order(void **state)
{
	run_fault_test(*state, &sigkill_batch);
}

static void
fsync_off_acknowledged_events_survive_sigkill_exactly_once(void **state)
{
	run_fault_test(*state, &sigkill_off);
}

static void
sigterm_under_load_exits_0_and_loses_or_repeats_nothing(void **state)
{
	run_fault_test(*state, &sigterm_batch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		acknowledged_events_survive_sigkill_exactly_once_in_order,
		setup_sigkill_batch, teardown),
	    cmocka_unit_test_setup_teardown(
		fsync_off_acknowledged_events_survive_sigkill_exactly_once,
		setup_sigkill_off, teardown),
	    cmocka_unit_test_setup_teardown(
		sigterm_under_load_exits_0_and_loses_or_repeats_nothing,
		setup_sigterm_batch, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	dint_token(); /* fixed before any thread starts */
	dint_target();
	return cmocka_run_group_tests_name("delivery_int_fault", tests, NULL,
					   NULL);
}
