/* Secrets: digests, constant-time comparison, key decoding, secret files. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "log.h"
#include "secret.h"

void secret_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

void secret_scramble(void *p, size_t len)
{
	secret_wipe(p, len);
	if (p != NULL && len > 0 && RAND_bytes(p, (int)len) != 1)
		log_warnx("no random bytes to overwrite a secret with; it is "
			  "zeroed");
}

static EVP_MD *sha256;

static void fetch_sha256(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Every request's token is digested: OpenSSL 3's SHA256() looks the
 * algorithm up on each call (about 300 ns here), a digest fetched once
 * takes a third of that. The fetched digest lives until exit. */
void secret_digest(const char *text, size_t len, struct token_digest *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fetch_sha256);
	if (sha256 == NULL ||
	    EVP_Digest(text, len, out->bytes, NULL, sha256, NULL) != 1)
		SHA256((const unsigned char *)text, len, out->bytes);
}

int secret_token_matches(const struct token_digest *tokens, size_t ntokens,
			 const char *given, size_t given_len)
{
	struct token_digest d;
	int matched = 0;

	secret_digest(given, given_len, &d);
	/* No early exit: the time taken does not tell which token matched. */
	for (size_t i = 0; i < ntokens; i++)
		matched |= CRYPTO_memcmp(d.bytes, tokens[i].bytes,
					 SECRET_DIGEST_LEN) == 0;
	secret_wipe(&d, sizeof(d));
	return matched;
}

/* Strict: the standard alphabet, a length that is a multiple of four,
 * '=' only as the last one or two characters (EVP_DecodeBlock alone
 * accepts "====" and stray spaces, and then decodes a wrong key). */
static int is_padded_base64(const char *text, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t pad = 0;

	if (len < 4 || len % 4 != 0 || len > 4096)
		return 0;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (strchr(alphabet, text[i]) == NULL)
			return 0;
	return 1;
}

int secret_signing_key_decode(const char *text, struct signing_key *key,
			      char *why, size_t whylen)
{
	size_t len, pad = 0;
	unsigned char *buf;
	int n;

	if (strncmp(text, "whsec_", 6) == 0)
		text += 6;
	len = strlen(text);
	if (!is_padded_base64(text, len)) {
		snprintf(why, whylen, "signing secret is not whsec_ followed "
				      "by padded base64");
		return -1;
	}
	buf = malloc(len);
	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0) {
		free(buf);
		snprintf(why, whylen, "signing secret is not valid base64");
		return -1;
	}
	/* EVP_DecodeBlock counts padding as zero bytes; drop them. */
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	key->bytes = buf;
	key->len = (size_t)n - pad;
	return 0;
}

void secret_signing_key_free(struct signing_key *key)
{
	if (key->bytes != NULL) {
		secret_wipe(key->bytes, key->len);
		free(key->bytes);
	}
	key->bytes = NULL;
	key->len = 0;
}

static FILE *open_credential(const char *path, char *resolved, size_t len)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (path[0] != '/' && dir != NULL && dir[0] != '\0')
		snprintf(resolved, len, "%s/%s", dir, path);
	else
		snprintf(resolved, len, "%s", path);
	return fopen(resolved, "re");
}

static void trim_line_end(char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
			 line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
}

int secret_read_file(const char *path, const char *conf_file, int conf_line,
		     struct errlist *errs,
		     int (*add)(const char *secret, void *arg), void *arg)
{
	char resolved[PATH_MAX];
	char *line = NULL;
	size_t cap = 0;
	int count = 0;
	FILE *f;

	f = open_credential(path, resolved, sizeof(resolved));
	if (f == NULL) {
		errlist_add(errs, conf_file, conf_line, "cannot read %s: %s",
			    resolved, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		trim_line_end(line);
		if (line[0] != '\0' && line[0] != '#') {
			if (add(line, arg) != 0) {
				errlist_add(errs, conf_file, conf_line,
					    "invalid secret in %s", resolved);
				count = -1;
			} else if (count >= 0) {
				count++;
			}
		}
		secret_wipe(line, cap);
	}
	if (line != NULL) {
		secret_wipe(line, cap);
		free(line);
	}
	fclose(f);
	return count;
}
