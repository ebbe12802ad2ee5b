/* One line rewritten in place with \r and cleared with ESC[K; nothing at
 * all when stderr is a file or a pipe, where those would be noise. */
#include <unistd.h>

#include "meter.h"

void meter_init(struct meter *m, FILE *out, int64_t now_us)
{
	m->out = out != NULL && isatty(fileno(out)) ? out : NULL;
	m->next_us = now_us + METER_INTERVAL_US;
	m->last_us = now_us;
	m->last_acked = 0;
}

void meter_tick(struct meter *m, const struct summary *s, int64_t now_us)
{
	double rate;

	if (m->out == NULL || now_us < m->next_us)
		return;
	rate = (double)(s->acked - m->last_acked) * 1e6 /
	       (double)(now_us - m->last_us);
	fprintf(m->out,
		"\r\033[Ksent %llu/%llu  acked %llu  retries %llu  "
		"failed bots %zu  %.0f ev/s",
		(unsigned long long)s->sent, (unsigned long long)s->events,
		(unsigned long long)s->acked, (unsigned long long)s->retries,
		s->bots_failed, rate);
	fflush(m->out);
	m->last_acked = s->acked;
	m->last_us = now_us;
	m->next_us = now_us + METER_INTERVAL_US;
}

void meter_clear(struct meter *m)
{
	if (m->out == NULL)
		return;
	fputs("\r\033[K", m->out);
	fflush(m->out);
}
