/* The environment of each command. The daemon's environment is taken
 * once, at init on the main thread (reading environ from a worker thread
 * would race with any setenv), without RTW_* variables: a variable the
 * event does not set is then really unset, never a stale inherited value. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

extern char **environ;

/* The most variables one event adds (see exec_env_for). */
#define EVENT_VARS 6

int exec_env_init(struct exec_env *e)
{
	size_t n = 0;

	for (char **v = environ; v != NULL && *v != NULL; v++)
		n++;
	e->nbase = 0;
	e->base = calloc(n + 1, sizeof(char *));
	if (e->base == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "RTW_", 4) == 0)
			continue;
		e->base[e->nbase] = strdup(environ[i]);
		if (e->base[e->nbase] == NULL) {
			exec_env_free(e);
			return -1;
		}
		e->nbase++;
	}
	return 0;
}

void exec_env_free(struct exec_env *e)
{
	for (size_t i = 0; e->base != NULL && i < e->nbase; i++)
		free(e->base[i]);
	free(e->base);
	e->base = NULL;
	e->nbase = 0;
}

/* Adds "name=value" at envp[*n] when value is not NULL. */
static int add_var(char **envp, size_t *n, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	if (asprintf(&envp[*n], "%s=%s", name, value) < 0) {
		envp[*n] = NULL;
		return -1;
	}
	(*n)++;
	return 0;
}

char **exec_env_for(const struct exec_env *e, const struct rtw_event *ev)
{
	const struct rtw_participant *who = ev->participant;
	char **envp = calloc(e->nbase + EVENT_VARS + 1, sizeof(char *));
	char seq[24], id[24];
	size_t n = e->nbase;
	int rc = 0;

	if (envp == NULL)
		return NULL;
	memcpy(envp, e->base, e->nbase * sizeof(char *));
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	if (who != NULL && who->has_id)
		snprintf(id, sizeof(id), "%" PRId64, who->id);
	rc |= add_var(envp, &n, "RTW_EVENT", ev->type_name);
	rc |= add_var(envp, &n, "RTW_SEQ", seq);
	rc |= add_var(envp, &n, "RTW_BOT_ID", ev->bot_id);
	rc |= add_var(envp, &n, "RTW_RECORDING_ID", ev->recording_id);
	rc |= add_var(envp, &n, "RTW_PARTICIPANT_ID",
		      who != NULL && who->has_id ? id : NULL);
	rc |= add_var(envp, &n, "RTW_PARTICIPANT_NAME",
		      who != NULL ? who->name : NULL);
	if (rc != 0) {
		exec_env_release(e, envp);
		return NULL;
	}
	return envp;
}

void exec_env_release(const struct exec_env *e, char **envp)
{
	if (envp == NULL)
		return;
	for (size_t i = e->nbase; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}
