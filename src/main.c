/* rtwebhookd: arguments, signals and lifecycle. Everything else lives in
 * the core library. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cpu.h"
#include "http.h"
#include "log.h"
#include "reload.h"
#include "runtime.h"
#include "service.h"
#include "util.h"

#ifndef RTW_VERSION
#define RTW_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rtwebhookd -c FILE [-t] [-v]\n"
		"Receives Recall.ai real-time webhook events and hands them "
		"to handler modules.\n\n"
		"  -c, --config FILE  configuration file (required)\n"
		"  -t, --test         check the configuration (parse it, load "
		"every module,\n"
		"                     run each handler's init), print "
		"'configuration OK'\n"
		"                     or every error as file:line, and exit\n"
		"  -v, --verbose      log debug messages too\n"
		"      --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n\n"
		"Runs in the foreground; stop with SIGTERM or SIGINT.\n");
}

static struct runtime *load(const char *file)
{
	struct errlist errs = {0};
	struct config *conf = config_load(file, &errs);
	struct runtime *rt;

	/* From here on (module init included) lines are in the configured
	 * format; the checks of config_load could only use the default. */
	if (conf != NULL && conf->log_json)
		log_set_format(LOG_FORMAT_JSON);
	rt = conf != NULL ? runtime_open(conf, &errs) : NULL;

	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	errlist_free(&errs);
	return rt;
}

static void log_startup(struct runtime *rt, int port)
{
	const struct config *c = rt->conf;
	const struct handler_set *set;

	log_info("rtwebhookd %s listening on %s port %d", RTW_VERSION,
		 c->listen_address, port);
	for (size_t i = 0; i < c->nendpoints; i++)
		log_info("endpoint %s: %zu token(s), %zu signing secret(s)",
			 c->endpoints[i].path, c->endpoints[i].ntokens,
			 c->endpoints[i].nsigning_keys);
	set = runtime_handlers_acquire(rt);
	for (size_t i = 0; i < set->n; i++)
		log_info("handler %s: module %s (%s)",
			 set->handlers[i]->conf->name,
			 set->handlers[i]->conf->module,
			 set->handlers[i]->module.path);
	runtime_handlers_release(rt);
}

/* How often the status line goes to systemd without a watchdog. */
#define STATUS_INTERVAL_MS 10000

/* The line systemd shows in `systemctl status`: events and their rate
 * since the last tick, and the slowest handler's backlog. */
static void report_status(struct runtime *rt, uint64_t *last_accepted,
			  int64_t *last_ms)
{
	uint64_t accepted = atomic_load(&rt->stats.accepted);
	int64_t now = mono_ms(), span = now - *last_ms;
	char line[160];

	snprintf(line, sizeof(line),
		 "%llu event(s) accepted, %.1f/s; backlog %llu",
		 (unsigned long long)accepted,
		 span > 0 ? (double)(accepted - *last_accepted) * 1000.0 /
				    (double)span
			  : 0.0,
		 (unsigned long long)runtime_backlog(rt));
	service_tick(line);
	*last_accepted = accepted;
	*last_ms = now;
}

/* SIGHUP: the configuration file again (reload.h). Either way the
 * daemon goes on serving; the log says which configuration it uses. */
static void reload(struct runtime *rt, const char *file)
{
	struct errlist errs = {0};
	char why[300];

	service_reloading();
	log_info("SIGHUP: reloading %s", file);
	if (runtime_reload(rt, file, &errs, why, sizeof(why)) == 0) {
		log_info("configuration reloaded: %zu endpoint(s), %zu "
			 "handler(s)",
			 rt->conf->nendpoints, rt->conf->nhandlers);
	} else {
		for (size_t i = 0; i < errs.count; i++)
			log_warnx("%s", errs.lines[i]);
		log_warnx("reload failed%s%s; still serving with the previous "
			  "configuration",
			  why[0] ? ": " : "", why);
	}
	errlist_free(&errs);
	service_ready("accepting events");
}

/* Waits for SIGTERM or SIGINT, sending systemd its status (and the
 * watchdog its keep-alive) between signals: this loop is the one that
 * would stop if the daemon hung. SIGHUP reloads the configuration. */
static void wait_for_stop(struct runtime *rt, const char *file,
			  const sigset_t *set)
{
	int64_t tick_ms = service_tick_ms(STATUS_INTERVAL_MS);
	struct timespec tick = {tick_ms / 1000, (tick_ms % 1000) * 1000000L};
	uint64_t last_accepted = 0;
	int64_t last_ms = mono_ms();
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig < 0) {
			report_status(rt, &last_accepted, &last_ms);
			reload_scramble_retired(rt, mono_ms());
			continue;
		}
		if (sig == SIGHUP) {
			/* A reload may wait for a handler to stop (up to
			 * limits.shutdown_timeout_s): tell the watchdog. */
			reload(rt, file);
			report_status(rt, &last_accepted, &last_ms);
			continue;
		}
		log_info("received %s, stopping", strsignal(sig));
		return;
	}
}

/* Lets open connections finish after SIGTERM: keep-alive connections of a
 * sender idle between events count too, so this stays short. */
#define HTTP_DRAIN_S 2

static void log_summary(const struct runtime *rt)
{
	log_info("stopped: %llu event(s) accepted (%llu of unknown type), "
		 "%llu duplicate(s); handlers: %llu ok, %llu retried, "
		 "%llu failed",
		 (unsigned long long)atomic_load(&rt->stats.accepted),
		 (unsigned long long)atomic_load(&rt->stats.unknown_type),
		 (unsigned long long)atomic_load(&rt->stats.duplicates),
		 (unsigned long long)atomic_load(&rt->stats.handled_ok),
		 (unsigned long long)atomic_load(&rt->stats.handled_retry),
		 (unsigned long long)atomic_load(&rt->stats.handled_fail));
}

/* The HTTP listener, on the socket systemd passed if it passed one. */
static struct http_server *start_listener(struct runtime *rt)
{
	char why[160];
	int fd = service_listen_fd(why, sizeof(why));

	if (fd == -2) {
		log_warnx("%s", why);
		return NULL;
	}
	if (fd >= 0)
		log_info("serving on the socket systemd passed (fd %d); "
			 "listen.address and listen.port are not used",
			 fd);
	return http_start(rt, fd);
}

/* Blocks the signals main takes with sigtimedwait, so no code runs in
 * signal context. Done before the configuration is loaded: a handler's
 * init may start threads (a client library's I/O thread), and a thread
 * created with the signals unblocked would take a SIGTERM the moment main
 * is not waiting in sigtimedwait, and die of it, daemon and all. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* While the configuration loads (a handler's init included, which may wait
 * on its server for long), SIGTERM and SIGINT still end the process at
 * once, as they did before the signals were blocked: a thread of its own
 * takes them and dies of the same signal. */
struct load_guard {
	pthread_t thread;
	atomic_int done;
	int started;
};

/* How often the guard looks whether the load is over. */
#define LOAD_GUARD_TICK_MS 20

static void *load_guard_main(void *arg)
{
	struct load_guard *g = arg;
	struct timespec tick = {0, LOAD_GUARD_TICK_MS * 1000000L};
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	while (!atomic_load(&g->done)) {
		int sig = sigtimedwait(&stop, NULL, &tick);
		sigset_t one;

		if (sig < 0)
			continue;
		log_info("received %s while starting, exiting", strsignal(sig));
		sigemptyset(&one);
		sigaddset(&one, sig);
		signal(sig, SIG_DFL);
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
		raise(sig); /* this thread: the default action ends the process */
	}
	return NULL;
}

static void load_guard_start(struct load_guard *g)
{
	atomic_init(&g->done, 0);
	g->started =
	    thread_start(&g->thread, load_guard_main, g, "rtw-loadguard",
			 NULL) == 0;
}

static void load_guard_stop(struct load_guard *g)
{
	atomic_store(&g->done, 1);
	if (g->started)
		pthread_join(g->thread, NULL);
}

/* Runs until SIGTERM/SIGINT. Returns the exit status; *stuck is set when
 * a handler did not finish in time (its memory must not be freed). */
static int serve(struct runtime *rt, const char *file, const sigset_t *set,
		 int *stuck)
{
	struct http_server *server;

	*stuck = 0;
	if (runtime_start(rt) != 0) {
		*stuck = runtime_stop(rt, 0) != 0;
		return 1;
	}
	server = start_listener(rt);
	if (server == NULL) {
		*stuck = runtime_stop(rt, rt->conf->shutdown_timeout_s) != 0;
		return 1;
	}
	log_startup(rt, http_port(server));
	service_ready("accepting events");
	wait_for_stop(rt, file, set);
	service_stopping();
	http_stop(server, HTTP_DRAIN_S);
	*stuck = runtime_stop(rt, (int)rt->conf->shutdown_timeout_s) != 0;
	log_summary(rt);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"test", no_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *file = NULL;
	int test_only = 0, verbose = 0, stuck = 0, opt, rc;
	struct runtime *rt;
	sigset_t stop_signals;
	struct load_guard guard;

	while ((opt = getopt_long(argc, argv, "c:tvh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("rtwebhookd %s\n", RTW_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (file == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(verbose);
	/* Before any thread starts, so that all of them inherit it. */
	if (cpu_policy_batch() != 0)
		log_info("cannot make the threads SCHED_BATCH (%s): they "
			 "stay SCHED_OTHER, at some cost in throughput",
			 strerror(errno));
	block_signals(&stop_signals);
	load_guard_start(&guard);
	rt = load(file);
	load_guard_stop(&guard);
	if (rt == NULL)
		return 1;
	if (test_only) {
		runtime_close(rt);
		printf("configuration OK\n");
		return 0;
	}
	rc = serve(rt, file, &stop_signals, &stuck);
	/* A handler stuck past the deadline still runs: exit without fini
	 * rather than free what it uses. Its event stays in the spool. */
	if (!stuck)
		runtime_close(rt);
	return rc;
}
