/* libFuzzer target: the event parser and its typed view, on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	struct event ev;
	volatile size_t touched = 0;

	if (event_parse(&ev, (const char *)data, size, why, sizeof(why)) != 0)
		return 0;
	/* Read every field of the view, as a handler would. */
	touched += strlen(ev.view.type_name);
	if (ev.view.bot_id)
		touched += strlen(ev.view.bot_id);
	if (ev.view.recording_id)
		touched += strlen(ev.view.recording_id);
	if (ev.view.participant && ev.view.participant->name)
		touched += strlen(ev.view.participant->name);
	if (ev.view.timestamp.absolute)
		touched += strlen(ev.view.timestamp.absolute);
	(void)touched;
	event_clear(&ev);
	return 0;
}
