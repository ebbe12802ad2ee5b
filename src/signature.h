/* signature.c: Standard Webhooks (and Svix) signature verification:
 * HMAC-SHA256 over "<id>.<timestamp>.<raw body>" with each configured key,
 * compared in constant time against every "v1,<base64>" entry. */
#ifndef RTW_SIGNATURE_H
#define RTW_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "secret.h"

struct signature_headers {
	const char *id;        /* webhook-id or svix-id */
	const char *timestamp; /* Unix seconds, decimal */
	const char *signature; /* space-separated "v1,<base64>" entries */
};

/* The checks that need no body: the headers are present and well formed
 * and the timestamp is within tolerance_s of now. 0, or -1 with why. */
int signature_check_headers(const struct signature_headers *h, int64_t now,
			    int64_t tolerance_s, char *why, size_t whylen);

/* Returns 0 when the headers carry a valid, fresh signature by any of keys;
 * otherwise -1 with the reason (never containing a secret) in why. */
int signature_verify(const struct signing_key *keys, size_t nkeys,
		     const struct signature_headers *h, const char *body,
		     size_t body_len, int64_t now, int64_t tolerance_s,
		     char *why, size_t whylen);

/* Computes the "v1,<base64>" value for id, timestamp and body into out
 * (at least 64 bytes). Returns 0 or -1. Used by tests and tools. */
int signature_sign(const struct signing_key *key, const char *id,
		   const char *timestamp, const char *body, size_t body_len,
		   char *out, size_t outlen);

#endif
