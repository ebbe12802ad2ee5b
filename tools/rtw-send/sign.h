/* sign.c: Standard Webhooks signing as Recall does it: HMAC-SHA256 over
 * "<id>.<timestamp>.<body>" keyed with the base64-decoded part of a
 * "whsec_..." secret, sent as "v1,<base64>". Also the message ids. */
#ifndef RTWSEND_SIGN_H
#define RTWSEND_SIGN_H

#include <stddef.h>
#include <stdint.h>

struct sign_key;

#define SIGN_VALUE_LEN 48 /* "v1," + 44 base64 characters + NUL */
#define SIGN_ID_LEN 64
#define SIGN_NONCE_LEN 8

/* Decodes "whsec_<base64>" (or bare base64) into a key. Returns the key,
 * or NULL with the reason in why. The secret itself is never copied into
 * why. */
struct sign_key *sign_key_new(const char *secret, char *why, size_t whylen);
/* Zeroes and frees key; NULL is allowed. */
void sign_key_free(struct sign_key *key);

/* Writes "v1,<base64 HMAC>" for id, timestamp and body into out.
 * Returns 0, or -1 when libcrypto fails. */
int sign_compute(const struct sign_key *key, const char *id,
		 const char *timestamp, const char *body, size_t body_len,
		 char out[SIGN_VALUE_LEN]);

/* The webhook-id of one event: "msg_<nonce>_<feed>_<event>". It depends
 * only on the run's nonce and the event's place, so every retry of an event
 * carries the same id while two events (or two runs) never share one. */
void sign_message_id(const unsigned char nonce[SIGN_NONCE_LEN], size_t feed,
		     size_t event, char out[SIGN_ID_LEN]);

/* Fills nonce from the system's random source. Returns 0 or -1. */
int sign_nonce(unsigned char nonce[SIGN_NONCE_LEN]);

#endif
