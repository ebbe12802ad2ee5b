/* Standard Webhooks signing with libcrypto's EVP_MAC. Independent of the
 * daemon's verifier on purpose: the tests check one against the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sign.h"

#define MAC_LEN 32
#define SECRET_PREFIX "whsec_"
#define MAX_KEY_LEN 1024

struct sign_key {
	/* A context keyed once; every signature starts from a copy of it,
	 * which saves fetching HMAC and hashing the key per request. */
	EVP_MAC_CTX *keyed;
};

/* Decodes padded standard base64 into out (at least 3/4 of len bytes).
 * Returns the decoded length or -1. */
static int base64_decode(const char *text, size_t len, unsigned char *out)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > MAX_KEY_LEN)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	return n - (int)pad;
}

static EVP_MAC_CTX *keyed_context(const unsigned char *key, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL && !EVP_MAC_init(ctx, key, len, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_MAC_free(mac); /* the context holds its own reference */
	return ctx;
}

struct sign_key *sign_key_new(const char *secret, char *why, size_t whylen)
{
	unsigned char bytes[MAX_KEY_LEN];
	struct sign_key *key = NULL;
	int n;

	if (strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0)
		secret += strlen(SECRET_PREFIX);
	n = base64_decode(secret, strlen(secret), bytes);
	if (n <= 0) {
		snprintf(why, whylen, "the secret is not whsec_ followed by "
				      "padded base64");
		goto done;
	}
	key = calloc(1, sizeof(*key));
	if (key != NULL)
		key->keyed = keyed_context(bytes, (size_t)n);
	if (key == NULL || key->keyed == NULL) {
		snprintf(why, whylen, "cannot set up HMAC-SHA256");
		free(key);
		key = NULL;
	}
done:
	OPENSSL_cleanse(bytes, sizeof(bytes));
	return key;
}

void sign_key_free(struct sign_key *key)
{
	if (key == NULL)
		return;
	EVP_MAC_CTX_free(key->keyed);
	free(key);
}

int sign_compute(const struct sign_key *key, const char *id,
		 const char *timestamp, const char *body, size_t body_len,
		 char out[SIGN_VALUE_LEN])
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(key->keyed);
	unsigned char mac[MAC_LEN];
	size_t outl = 0;
	int ok;

	/* Streamed in three parts: the body is never copied to join them. */
	ok = c != NULL &&
	     EVP_MAC_update(c, (const unsigned char *)id, strlen(id)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, (const unsigned char *)timestamp,
			    strlen(timestamp)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, (const unsigned char *)body, body_len) &&
	     EVP_MAC_final(c, mac, &outl, sizeof(mac)) && outl == MAC_LEN;
	EVP_MAC_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, MAC_LEN);
	return 0;
}

void sign_message_id(const unsigned char nonce[SIGN_NONCE_LEN], size_t feed,
		     size_t event, char out[SIGN_ID_LEN])
{
	char hex[2 * SIGN_NONCE_LEN + 1];

	for (size_t i = 0; i < SIGN_NONCE_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	snprintf(out, SIGN_ID_LEN, "msg_%s_%zu_%zu", hex, feed, event);
}

int sign_nonce(unsigned char nonce[SIGN_NONCE_LEN])
{
	return getrandom(nonce, SIGN_NONCE_LEN, 0) == SIGN_NONCE_LEN ? 0 : -1;
}
