/* rtw-send runs in a child with its output in temporary files, so that a
 * large summary or a stream of warnings can never block it on a pipe. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "send_run.h"
#include "send_server.h"

#define MAX_ARGS 64

static char *read_all(FILE *f)
{
	long n;
	char *text;

	fflush(f);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		return strdup("");
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	if (text != NULL && fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = '\0';
	return text;
}

int send_run(struct send_result *r, const char *const *args)
{
	const char *argv[MAX_ARGS + 2] = {RTW_SEND_PATH};
	FILE *out = tmpfile(), *err = tmpfile();
	int64_t start = server_now_us();
	int status = 0;
	pid_t pid;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	while (args[n] != NULL && n < MAX_ARGS) {
		argv[n + 1] = args[n];
		n++;
	}
	if (out == NULL || err == NULL || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		execv(RTW_SEND_PATH, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	r->start_us = start;
	r->elapsed_us = server_now_us() - start;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
	r->out = read_all(out);
	r->err = read_all(err);
	fclose(out);
	fclose(err);
	return 0;
}

void send_result_free(struct send_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

json_t *send_summary(const struct send_result *r)
{
	return json_loads(r->out, 0, NULL);
}

char *tmpdir_make(void)
{
	char *dir = strdup("/tmp/rtw_send_test_XXXXXX");

	if (dir != NULL && mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

void tmpdir_remove(char *dir)
{
	if (dir != NULL)
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *tmpdir_path(const char *dir, const char *name)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	return path;
}

int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text;

	if (f == NULL)
		return NULL;
	text = read_all(f);
	fclose(f);
	if (len != NULL && text != NULL)
		*len = strlen(text);
	return text;
}

char *chat_event(const char *bot_id, const char *marker, double rel)
{
	json_t *data = json_pack(
		"{s:{s:{s:i, s:s, s:b, s:s, s:{}, s:n}, s:{s:s, s:f}, "
		"s:{s:s, s:s}}, s:{s:s, s:{}}, s:{s:s, s:{}}, s:{s:s, s:{}}}",
		"data", "participant", "id", 100, "name", "Zoë Ångström",
		"is_host", 1, "platform", "desktop", "extra_data", "email",
		"timestamp", "absolute", "2026-11-26T16:20:01.480Z",
		"relative", rel, "data", "text", marker, "to", "everyone",
		"realtime_endpoint", "id",
		"e3f1a2b4-6c7d-4e8f-9a0b-1c2d3e4f5a6b", "metadata",
		"participant_events", "id",
		"9d8c7b6a-5e4f-4d3c-8b2a-1f0e9d8c7b6a", "metadata",
		"recording", "id", "c7a9d2e1-3b4f-4a58-8e6d-1f2a3b4c5d6e",
		"metadata");
	json_t *event;
	char *text;

	if (bot_id != NULL)
		json_object_set_new(data, "bot",
				    json_pack("{s:s, s:{}}", "id", bot_id,
					      "metadata"));
	event = json_pack("{s:s, s:o}", "event",
			  "participant_events.chat_message", "data", data);
	text = json_dumps(event, JSON_COMPACT);
	json_decref(event);
	return text;
}

char *body_bot_id(const char *body)
{
	json_t *event = json_loads(body, 0, NULL);
	const char *id = json_string_value(json_object_get(
		json_object_get(json_object_get(event, "data"), "bot"), "id"));
	char *copy = id != NULL ? strdup(id) : NULL;

	json_decref(event);
	return copy;
}

void test_bot_id(unsigned bot, char out[40])
{
	snprintf(out, 40, "00000000-0000-4000-8000-%012u", bot);
}

void test_marker(unsigned bot, unsigned ev, char out[32])
{
	snprintf(out, 32, "[b%u/e%u]", bot, ev);
}

int write_events(const char *path, unsigned nbots, unsigned nevents,
		 int interleaved)
{
	FILE *f = fopen(path, "w");
	unsigned outer = interleaved ? nevents : nbots;
	unsigned inner = interleaved ? nbots : nevents;

	if (f == NULL)
		return -1;
	for (unsigned i = 0; i < outer; i++) {
		for (unsigned j = 0; j < inner; j++) {
			unsigned bot = interleaved ? j : i;
			unsigned ev = interleaved ? i : j;
			char id[40], marker[32], *line;

			test_bot_id(bot, id);
			test_marker(bot, ev, marker);
			line = chat_event(id, marker, 10.0 + ev);
			fprintf(f, "%s\n", line);
			free(line);
		}
	}
	return fclose(f) != 0 ? -1 : 0;
}
