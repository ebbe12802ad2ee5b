/* Standard Webhooks signatures for the downstream, and the webhook-id
 * that lets it drop our retries. HMAC-SHA256 and base64 come from
 * libcrypto, as in the daemon's own verification. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "http_fwd.h"

#define SECRET_PREFIX "whsec_"

int http_secret_decode(const char *secret, unsigned char **key, size_t *key_len,
		       struct rtw_error *err)
{
	size_t plen = strlen(SECRET_PREFIX), len;
	const char *b64 = secret + plen;
	unsigned char *buf;
	int n;

	if (strncmp(secret, SECRET_PREFIX, plen) != 0 ||
	    (len = strlen(b64)) == 0 || len % 4 != 0) {
		rtw_error_set(err, "must be \"whsec_\" followed by base64 "
				   "(the value is not shown)");
		return -1;
	}
	buf = malloc(len / 4 * 3 + 1);
	if (buf == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0) {
		rtw_error_set(err, "the part after \"whsec_\" is not valid "
				   "base64 (the value is not shown)");
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts padding as zero bytes: drop them. */
	for (const char *p = b64 + len - 1; p >= b64 && *p == '='; p--)
		n--;
	if (n <= 0) {
		rtw_error_set(err, "the key after \"whsec_\" is empty");
		free(buf);
		return -1;
	}
	*key = buf;
	*key_len = (size_t)n;
	return 0;
}

int http_sign(EVP_MAC *hmac, const unsigned char *key, size_t key_len,
	      const char *id, const char *timestamp, const void *body,
	      size_t body_len, char *out, size_t out_len)
{
	/* id.timestamp.body streamed in pieces: the body is never copied. */
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	unsigned char mac[32];
	size_t mac_len = 0;
	int ok;

	/* "v1," + 44 base64 characters + NUL */
	ok = out_len >= 48 && c != NULL &&
	     EVP_MAC_init(c, key, key_len, params) &&
	     EVP_MAC_update(c, (const unsigned char *)id, strlen(id)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, (const unsigned char *)timestamp,
			    strlen(timestamp)) &&
	     EVP_MAC_update(c, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(c, body, body_len) &&
	     EVP_MAC_final(c, mac, &mac_len, sizeof(mac)) &&
	     mac_len == sizeof(mac);
	EVP_MAC_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)sizeof(mac));
	return 0;
}

/* A webhook-id we pass on as it is: short, printable ASCII, no spaces
 * (it goes into a header and into the signed content). */
static int plain_id(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++)
		if (id[n] <= ' ' || id[n] > '~' || n >= HTTP_MAX_ID_LEN)
			return 0;
	return n > 0;
}

void http_event_id(const struct rtw_event *ev, char *out, size_t out_len)
{
	const char *key = RTW_HAS_FIELD(ev, struct rtw_event, dedup_key)
			      ? ev->dedup_key
			      : NULL;

	if (key != NULL && strncmp(key, "id:", 3) == 0 && plain_id(key + 3))
		snprintf(out, out_len, "%s", key + 3);
	else if (key != NULL && strncmp(key, "body:", 5) == 0 &&
		 plain_id(key + 5))
		snprintf(out, out_len, "msg_%s", key + 5);
	else if (key != NULL && strncmp(key, "id:", 3) == 0) {
		/* An unusual original id: a digest of it, still stable. */
		unsigned char md[32];
		unsigned int md_len = 0;
		char hex[33];

		EVP_Digest(key, strlen(key), md, &md_len, EVP_sha256(), NULL);
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		snprintf(out, out_len, "msg_%s", hex);
	} else
		snprintf(out, out_len, "rtw_%" PRIu64, ev->seq);
}
