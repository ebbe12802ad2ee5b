/* daemon_harness: Standard Webhooks signatures, computed with libcrypto
 * independently of the daemon's own signature code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon_harness.h"

int harness_sign(const char *key, const char *id, const char *timestamp,
		 const void *body, size_t len, char out[64])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t head = strlen(id) + strlen(timestamp) + 2;
	char *content = malloc(head + len + 1);
	int ok;

	if (content == NULL)
		return -1;
	snprintf(content, head + 1, "%s.%s.", id, timestamp);
	memcpy(content + head, body, len);
	ok = HMAC(EVP_sha256(), key, (int)strlen(key),
		  (const unsigned char *)content, head + len, mac,
		  &mac_len) != NULL &&
	     mac_len == 32;
	free(content);
	if (!ok)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, 32);
	return 0;
}
