/* Standard Webhooks signature verification with libcrypto's HMAC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "signature.h"

#define MAC_LEN 32
#define MAC_B64_LEN 44 /* base64 of 32 bytes, padded */

static int compute_mac(const struct signing_key *key, const char *id,
		       const char *timestamp, const char *body,
		       size_t body_len, unsigned char mac[MAC_LEN])
{
	/* EVP_MAC streams id, timestamp and body without joining them into
	 * one buffer (the body can be a megabyte). */
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	size_t outl = 0;
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = c != NULL && EVP_MAC_init(c, key->bytes, key->len, params) &&
	     EVP_MAC_update(c, (const unsigned char *)id, strlen(id)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, (const unsigned char *)timestamp,
			    strlen(timestamp)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, (const unsigned char *)body, body_len) &&
	     EVP_MAC_final(c, mac, &outl, MAC_LEN) && outl == MAC_LEN;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok ? 0 : -1;
}

int signature_sign(const struct signing_key *key, const char *id,
		   const char *timestamp, const char *body, size_t body_len,
		   char *out, size_t outlen)
{
	unsigned char mac[MAC_LEN];

	if (outlen < 3 + MAC_B64_LEN + 1 ||
	    compute_mac(key, id, timestamp, body, body_len, mac) != 0)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, MAC_LEN);
	return 0;
}

static int parse_timestamp(const char *text, int64_t *out)
{
	char *end;
	long long v;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Compares mac against every "v1,<base64>" entry of header; entries of
 * other versions are skipped. Returns 1 on a match. */
static int header_has_mac(const char *header, const unsigned char *mac_b64)
{
	const char *p = header;
	int matched = 0;

	while (*p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == 3 + MAC_B64_LEN && strncmp(p, "v1,", 3) == 0)
			matched |= CRYPTO_memcmp(p + 3, mac_b64,
						 MAC_B64_LEN) == 0;
		p += len;
		while (*p == ' ')
			p++;
	}
	return matched;
}

int signature_check_headers(const struct signature_headers *h, int64_t now,
			    int64_t tolerance_s, char *why, size_t whylen)
{
	int64_t ts;

	if (h->id == NULL || h->timestamp == NULL || h->signature == NULL) {
		snprintf(why, whylen, "signature headers missing");
		return -1;
	}
	if (h->id[0] == '\0' || strlen(h->id) > 256) {
		snprintf(why, whylen, "malformed webhook-id");
		return -1;
	}
	if (parse_timestamp(h->timestamp, &ts) != 0) {
		snprintf(why, whylen, "malformed webhook-timestamp");
		return -1;
	}
	if (ts < now - tolerance_s || ts > now + tolerance_s) {
		snprintf(why, whylen, "webhook-timestamp %lld is outside the "
				      "%llds tolerance",
			 (long long)ts, (long long)tolerance_s);
		return -1;
	}
	return 0;
}

int signature_verify(const struct signing_key *keys, size_t nkeys,
		     const struct signature_headers *h, const char *body,
		     size_t body_len, int64_t now, int64_t tolerance_s,
		     char *why, size_t whylen)
{
	unsigned char mac[MAC_LEN], b64[MAC_B64_LEN + 1];
	int matched = 0;

	if (signature_check_headers(h, now, tolerance_s, why, whylen) != 0)
		return -1;
	/* Every key is tried, so timing does not tell which one matched. */
	for (size_t i = 0; i < nkeys; i++) {
		if (compute_mac(&keys[i], h->id, h->timestamp, body, body_len,
				mac) != 0) {
			snprintf(why, whylen, "HMAC computation failed");
			return -1;
		}
		EVP_EncodeBlock(b64, mac, MAC_LEN);
		matched |= header_has_mac(h->signature, b64);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!matched) {
		snprintf(why, whylen, "no valid v1 signature");
		return -1;
	}
	return 0;
}
