/* libFuzzer target: signature header parsing and verification. The input
 * is split at NUL bytes into id, timestamp, signature header and body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *take(const char **p, const char *end)
{
	const char *start = *p;
	const char *nul = memchr(start, '\0', (size_t)(end - start));

	if (nul == NULL)
		return NULL;
	*p = nul + 1;
	return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct signing_key key;
	const char *p = (const char *)data, *end = p + size;
	struct signature_headers h;
	char why[256];

	if (key.bytes == NULL &&
	    secret_signing_key_decode("whsec_dGVzdC1yZWNhbGwtc2VjcmV0", &key,
				      why, sizeof(why)) != 0)
		abort();
	h.id = take(&p, end);
	h.timestamp = h.id ? take(&p, end) : NULL;
	h.signature = h.timestamp ? take(&p, end) : NULL;
	if (h.signature == NULL)
		return 0;
	/* now = the timestamp of the RECALL_EVENTS.md test vector. */
	signature_verify(&key, 1, &h, p, (size_t)(end - p), 1731705121, 300,
			 why, sizeof(why));
	return 0;
}
