/* A well-behaved module: records what the host gave it and counts events.
 * init logs one line through host->log ("good: init <name>"); fini leaves
 * a marker file in the state directory so a test can see it ran. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "good.h"
#include "rtwebhookd/handler.h"

static int good_init(const struct rtw_host *host, const json_t *config,
		     void **state, struct rtw_error *err)
{
	struct good_state *s = calloc(1, sizeof(*s));
	const json_t *tag = json_object_get(config, "tag");
	struct stat st;

	if (s == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	s->tag = json_is_integer(tag) ? json_integer_value(tag) : -1;
	s->abi_version = host->abi_version;
	snprintf(s->name, sizeof(s->name), "%s", host->name);
	snprintf(s->state_dir, sizeof(s->state_dir), "%s", host->state_dir);
	s->state_dir_existed =
	    stat(host->state_dir, &st) == 0 && S_ISDIR(st.st_mode);
	host->log(host, RTW_LOG_NOTICE, "good: init %s", host->name);
	*state = s;
	return 0;
}

static enum rtw_result good_handle(void *state, const struct rtw_event *ev,
				   struct rtw_error *err)
{
	struct good_state *s = state;

	s->handled++;
	s->last_seq = ev->seq;
	return RTW_OK;
}

static void good_fini(void *state)
{
	struct good_state *s = state;
	char marker[PATH_MAX + 16];
	int fd;

	snprintf(marker, sizeof(marker), "%s/" GOOD_FINI_MARKER, s->state_dir);
	fd = open(marker, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		(void)!write(fd, "x", 1); /* one byte per fini call */
		close(fd);
	}
	free(s);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "good",
	    .version = "1.0",
	    .init = good_init,
	    .handle = good_handle,
	    .fini = good_fini,
	};
	return &handler;
}
