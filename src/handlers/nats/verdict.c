/* The table from a publish error to OK / RETRY / FAIL (see verdict.h). */
#include "verdict.h"

static const natsStatus permanent_status[] = {
    NATS_MAX_PAYLOAD,
    NATS_INVALID_SUBJECT,
    NATS_INVALID_ARG,
};

static const jsErrCode permanent_jerr[] = {
    JSStreamMessageExceedsMaximumErr,
};

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

struct verdict verdict_of(natsStatus s, jsErrCode jerr)
{
	struct verdict v = {RTW_RETRY, 0};

	if (s == NATS_OK)
		return (struct verdict){RTW_OK, 0};
	for (size_t i = 0; i < COUNT(permanent_status); i++)
		if (s == permanent_status[i])
			v.result = RTW_FAIL;
	for (size_t i = 0; i < COUNT(permanent_jerr); i++)
		if (jerr == permanent_jerr[i])
			v.result = RTW_FAIL;
	v.stream_missing =
	    s == NATS_NO_RESPONDERS || jerr == JSStreamNotFoundErr;
	return v;
}
