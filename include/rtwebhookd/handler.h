/*
 * rtwebhookd handler ABI, version 1.
 *
 * This is the only header a handler module includes. A module is a shared
 * object that exports one function, rtw_handler_entry(), returning a pointer
 * to a constant struct rtw_handler. The daemon dlopen()s the module with
 * RTLD_NOW | RTLD_LOCAL, calls the entry point, checks abi_version and size,
 * and then drives the handler through init, handle and fini.
 *
 * Compatibility rules
 *  - Every struct crossing the ABI starts with its own size. Structs only
 *    grow: new fields are appended at the end and the side that reads a field
 *    checks first that the size covers it (RTW_HAS_FIELD).
 *  - RTW_HANDLER_ABI_VERSION changes only on an incompatible change; the host
 *    refuses modules built for another version.
 *
 * Rules for modules
 *  - No global mutable state: two instances of one module (two handler blocks
 *    with the same module) must coexist, so keep everything in the state that
 *    init returns.
 *  - A reload that changes a handler's configuration runs init for its new
 *    instance while the old instance of the same handler (same name, same
 *    state_dir) may still be handling events. The new instance gets its
 *    first handle only after the old one has stopped (its last handle and
 *    flush have returned); the old one's fini may run a little later. So
 *    init must not take anything the old instance holds exclusively (an
 *    exclusive lock on a file in state_dir, say), and whatever reads back
 *    the state of shared files (where a file ends, what it already holds)
 *    belongs in the first handle, not in init (see the jsonl module).
 *  - Never call exit(), never install signal handlers, never fork without
 *    exec. Report problems through the return value and struct rtw_error.
 *  - Everything the host passes in is borrowed: valid for the duration of the
 *    call that received it, owned and freed by the host. Copy what you keep.
 *
 * Threads
 *  - init and fini run on the daemon's main thread, never concurrently with
 *    handle on the same state.
 *  - handle runs on a worker thread owned by the host for this handler
 *    instance. Unless the module sets RTW_HANDLER_THREAD_SAFE, the host never
 *    calls handle concurrently on one state (it runs one worker). With the
 *    flag, the host may run several workers (config `workers = N`), each
 *    calling handle for different bots at once; events of one bot are always
 *    handed over one at a time, in acknowledgement order.
 *  - host->log may be called from any thread, including from init and fini.
 *  - Every host thread runs with SIGTERM, SIGINT and SIGHUP blocked (the
 *    main thread takes them with sigtimedwait), and so do threads a module
 *    starts (they inherit the mask). Never unblock them in a thread of
 *    yours: one that takes SIGTERM ends the daemon without its graceful
 *    stop. SIGPIPE is ignored.
 */
#ifndef RTWEBHOOKD_HANDLER_H
#define RTWEBHOOKD_HANDLER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTW_HANDLER_ABI_VERSION 1u
/* Compatible additions since 1.0: 1.1 struct rtw_event.dedup_key; 1.2
 * RTW_PENDING, struct rtw_handler.flush, struct rtw_host.abi_minor and
 * struct rtw_host.retry_after. */
#define RTW_HANDLER_ABI_MINOR 2u

/* The name of the one symbol a module exports. */
#define RTW_HANDLER_ENTRY_SYMBOL "rtw_handler_entry"

/* True when a struct that starts with `size_t size` is large enough to hold
 * `field`. Use it before reading a field added after version 1.0. */
#define RTW_HAS_FIELD(ptr, type, field)                                        \
	((ptr)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* What handle() reports for one event. */
enum rtw_result {
	/* Done: the host records progress and never offers this event again. */
	RTW_OK = 0,
	/* Transient failure (downstream down, disk full...): the host offers the
	 * same event again later with capped backoff; later events of the same
	 * bot wait behind it. */
	RTW_RETRY = 1,
	/* Permanent failure: the host writes the event and the reason to the
	 * handler's dead-letter file and goes on with the next event. */
	RTW_FAIL = 2,
	/* Since 1.2, only from a module with a flush callback: taken into the
	 * module's batch, not yet durable. The host hands over the bot's next
	 * event, and counts this one done only once a later flush returns
	 * RTW_OK; until then a crash offers it again. */
	RTW_PENDING = 3,
};

/* Event types Recall documents for real-time webhook endpoints. Any other
 * `event` string is delivered as RTW_EVENT_UNKNOWN with its name in
 * rtw_event.type_name. Values are stable; new types are appended. */
enum rtw_event_type {
	RTW_EVENT_UNKNOWN = 0,
	RTW_EVENT_PARTICIPANT_JOIN,
	RTW_EVENT_PARTICIPANT_LEAVE,
	RTW_EVENT_PARTICIPANT_UPDATE,
	RTW_EVENT_PARTICIPANT_SPEECH_ON,
	RTW_EVENT_PARTICIPANT_SPEECH_OFF,
	RTW_EVENT_PARTICIPANT_WEBCAM_ON,
	RTW_EVENT_PARTICIPANT_WEBCAM_OFF,
	RTW_EVENT_PARTICIPANT_SCREENSHARE_ON,
	RTW_EVENT_PARTICIPANT_SCREENSHARE_OFF,
	RTW_EVENT_PARTICIPANT_CHAT_MESSAGE,
	RTW_EVENT_TRANSCRIPT_DATA,
	RTW_EVENT_TRANSCRIPT_PARTIAL_DATA,
	RTW_EVENT_TRANSCRIPT_PROVIDER_DATA,
};

/* Log levels, with syslog's numbers. */
enum rtw_log_level {
	RTW_LOG_ERR = 3,
	RTW_LOG_WARNING = 4,
	RTW_LOG_NOTICE = 5,
	RTW_LOG_INFO = 6,
	RTW_LOG_DEBUG = 7,
};

/* A caller-owned error buffer. The host zeroes it before each call; a
 * module that returns an error writes a one-line reason into it (with
 * rtw_error_set), which the host logs or stores in the dead-letter file. */
struct rtw_error {
	char message[512];
};

/* Writes a printf-style reason into err (truncating it to fit). Safe with
 * err == NULL. */
static inline void rtw_error_set(struct rtw_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void rtw_error_set(struct rtw_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* A point in the meeting. `relative` is seconds since the bot started
 * recording (may be negative); `absolute` an ISO 8601 UTC string. */
struct rtw_timestamp {
	int has_relative;     /* 0 when the event carries no relative time */
	double relative;
	const char *absolute; /* NULL when absent or null */
};

/* The participant an event is about (or who spoke). Strings are NULL when
 * absent or JSON null. `json` is the participant object itself, for fields
 * this view does not cover (extra_data...). */
struct rtw_participant {
	size_t size;
	int has_id;           /* 0 when id is absent or null */
	int64_t id;           /* unique only within one meeting */
	const char *name;
	const char *email;
	const char *platform;
	int is_host;          /* 1, 0, or -1 when absent or null */
	const json_t *json;
};

/* One event as a handler sees it. Everything it points to is borrowed: valid
 * until handle() returns, owned by the host. Keep a copy (json_deep_copy,
 * strdup) of anything needed later: json_incref does not keep a part of
 * the event's tree alive (the host releases the whole tree at once). Never
 * json_decref what you did not json_incref. */
struct rtw_event {
	size_t size;
	enum rtw_event_type type;
	const char *type_name;     /* the `event` string exactly as received */
	uint64_t seq;              /* unique and increasing within one spool */
	const char *bot_id;        /* data.bot.id, or NULL (not made by a bot) */
	const char *recording_id;  /* data.recording.id, or NULL */
	const char *endpoint_path; /* the configured path it arrived on */
	/* NULL when the event has no participant object. */
	const struct rtw_participant *participant;
	/* Participant events: data.data.timestamp. Transcript events: the start
	 * of the first word. Otherwise empty. */
	struct rtw_timestamp timestamp;
	/* The request body exactly as received (not NUL-terminated). */
	const char *body;
	size_t body_len;
	const json_t *json;        /* the whole parsed body (an object) */
	const json_t *payload;     /* data.data: the event-specific part, or NULL */
	int64_t received_at_ms;    /* Unix time in ms when the request arrived */
	/* Added in 1.1 (check RTW_HAS_FIELD(ev, struct rtw_event, dedup_key)):
	 * the key the host deduplicates sender retries on, NUL-terminated:
	 * "id:<webhook-id>" when the request carried webhook-id (or svix-id),
	 * else "body:<32 hex digits>" (XXH3-128 of the body). Every retry of
	 * one event has the same key, also at another rtwebhookd instance, so
	 * it serves as an idempotency key downstream (e.g. Nats-Msg-Id). */
	const char *dedup_key;
};

/* What the host offers a handler instance. Valid from init until fini
 * returns; owned by the host. */
struct rtw_host {
	size_t size;
	unsigned abi_version;
	const char *name;      /* the handler's configured name */
	const char *state_dir; /* a private, existing directory for this handler */
	/* Logs one line prefixed with the handler's name. Any thread. */
	void (*log)(const struct rtw_host *host, enum rtw_log_level level,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	void *host_private;    /* the host's own; modules must not touch it */
	/* Added in 1.2: the host's minor ABI version (2 here). A module
	 * answers RTW_PENDING only when the host has it and it is >= 2:
	 * RTW_HOST_TAKES_PENDING(host) below. */
	unsigned abi_minor;
	/* Added in 1.2: from handle, just before answering RTW_RETRY, asks
	 * the host to offer this event again in delay_ms (e.g. a downstream's
	 * Retry-After) instead of after its own backoff. At least 100 ms (a
	 * "Retry-After: 0" must not make the host spin against a failing
	 * downstream), at most one hour. The worker thread that runs handle. */
	void (*retry_after)(const struct rtw_host *host, int64_t delay_ms);
};

/* True when the host (a const struct rtw_host *) takes RTW_PENDING and
 * calls flush: ABI 1.2 or later. */
#define RTW_HOST_TAKES_PENDING(host)                                           \
	(RTW_HAS_FIELD((host), struct rtw_host, abi_minor) &&                  \
	 (host)->abi_minor >= 2)

/* Flags a module sets in rtw_handler.flags. */
#define RTW_HANDLER_THREAD_SAFE 0x1u /* handle may run on several threads */

/* The descriptor a module exports through rtw_handler_entry(). */
struct rtw_handler {
	unsigned abi_version; /* RTW_HANDLER_ABI_VERSION the module was built for */
	size_t size;          /* sizeof(struct rtw_handler) at build time */
	const char *name;     /* the module's name, for logs */
	const char *version;  /* the module's own version string */
	unsigned flags;       /* RTW_HANDLER_* */

	/* Creates an instance. `config` is the handler's `config` group as a
	 * JSON object (an empty object when absent), borrowed for the call.
	 * Unknown keys should be refused with a reason naming the key. On
	 * success stores the instance in *state and returns 0; on failure writes
	 * err, frees what it allocated and returns -1 (fini is then not called).
	 * Main thread. Required. */
	int (*init)(const struct rtw_host *host, const json_t *config,
		    void **state, struct rtw_error *err);

	/* Handles one event; see enum rtw_result. On RTW_RETRY and RTW_FAIL
	 * writes a reason into err. A worker thread (see "Threads"). Required. */
	enum rtw_result (*handle)(void *state, const struct rtw_event *event,
				  struct rtw_error *err);

	/* Releases the instance: flush, close, free. Called once per successful
	 * init, after the last handle has returned. Main thread. Required. */
	void (*fini)(void *state);

	/* Added in 1.2; optional (NULL, or absent from an older module): makes
	 * durable every event handle answered RTW_PENDING for before this call
	 * began (later ones may be included). Returns RTW_OK, or RTW_RETRY
	 * with a reason when it could not: the module then keeps the whole
	 * batch, the host hands over no new event and calls flush again after
	 * a backoff. (Any other answer counts as RTW_RETRY.) The host calls it
	 * when its batch reaches 256 events, 20 ms after the oldest pending
	 * one, when it has nothing else to hand over, and before the stop.
	 * A worker thread; with RTW_HANDLER_THREAD_SAFE it may run while
	 * handle runs on other workers, never two flushes at once. */
	enum rtw_result (*flush)(void *state, struct rtw_error *err);
};

/* The entry point every module defines, exactly once:
 *
 *   const struct rtw_handler *rtw_handler_entry(void)
 *   {
 *           static const struct rtw_handler h = {
 *                   .abi_version = RTW_HANDLER_ABI_VERSION,
 *                   .size = sizeof(struct rtw_handler), ... };
 *           return &h;
 *   }
 *
 * Returns a pointer to constant data that lives as long as the module is
 * loaded. May be called more than once. */
typedef const struct rtw_handler *(*rtw_handler_entry_fn)(void);
__attribute__((visibility("default"))) const struct rtw_handler *
rtw_handler_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* RTWEBHOOKD_HANDLER_H */
