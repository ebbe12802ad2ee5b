/* secret.c: holding and comparing secrets. Tokens are kept only as SHA-256
 * digests, so the plaintext never outlives config loading and every
 * comparison has the same length; signing keys are zeroed when freed. */
#ifndef RTW_SECRET_H
#define RTW_SECRET_H

#include <stddef.h>

#include "errlist.h"

#define SECRET_DIGEST_LEN 32

struct token_digest {
	unsigned char bytes[SECRET_DIGEST_LEN];
};

struct signing_key {
	unsigned char *bytes;
	size_t len;
};

void secret_digest(const char *text, size_t len, struct token_digest *out);

/* Returns 1 when `given` matches any of `tokens`. Every token is compared
 * whatever the outcome, each in constant time. */
int secret_token_matches(const struct token_digest *tokens, size_t ntokens,
			 const char *given, size_t given_len);

/* Decodes "whsec_<base64>" (or bare base64) into key bytes. Returns 0, or
 * -1 with a reason in why. */
int secret_signing_key_decode(const char *text, struct signing_key *key,
			      char *why, size_t whylen);
void secret_signing_key_free(struct signing_key *key);

/* Reads one secret per line from path (relative to $CREDENTIALS_DIRECTORY
 * when that is set and path is relative); blank lines and lines starting
 * with '#' are skipped. Calls add(line, arg) for each; the line buffer is
 * wiped after the call. Returns the number of secrets read, or -1 with the
 * error in errs. */
int secret_read_file(const char *path, const char *conf_file, int conf_line,
		     struct errlist *errs,
		     int (*add)(const char *secret, void *arg), void *arg);

/* Zeroes memory in a way the compiler may not remove. */
void secret_wipe(void *p, size_t len);
/* Overwrites memory with random bytes: a secret destroyed where a reader
 * might still compare against it (all zeros would be a key anyone knows). */
void secret_scramble(void *p, size_t len);

#endif
