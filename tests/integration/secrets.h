/* Distinctive secret values for the log tests (test_secrets_log.c and
 * test_secrets_bugs.c), and the check that none of them is in a text. */
#ifndef RTW_TEST_SECRETS_H
#define RTW_TEST_SECRETS_H

#include <stdio.h>
#include <string.h>

#define TOKEN_INLINE "tokA-7Hq2Lw9xRb3"
#define TOKEN_IN_FILE "tokF-Vd8Kp1Zm6Ns"
#define TOKEN_OTHER "tokB-Qs4Jc5Yt0Ue"  /* another endpoint's token */
#define TOKEN_WRONG "tokW-Ea5Nf8Gh2Ci"  /* sent, configured nowhere */
#define SIGNING_KEY "sigkey-Gm7Rw2Xv9Lp" /* the HMAC key bytes */
#define SIGNING_B64 "c2lna2V5LUdtN1J3Mlh2OUxw" /* base64(SIGNING_KEY) */
#define SIGNING_SECRET "whsec_" SIGNING_B64
#define SECRET_INVALID "whsec_Zz9-sigbad-Kq3" /* not valid base64 */

/* Whole values and distinctive middle parts, so a truncated or partly
 * masked secret is caught too. */
static const char *const secret_needles[] = {
	TOKEN_INLINE, "7Hq2Lw9x", TOKEN_IN_FILE, "Vd8Kp1Zm",
	TOKEN_OTHER,  "Qs4Jc5Yt", TOKEN_WRONG,   "Ea5Nf8Gh",
	SIGNING_KEY,  "Gm7Rw2Xv", SIGNING_B64,   "LUdtN1J3",
	SECRET_INVALID, "sigbad-Kq3",
};

/* The first secret found in text, or NULL. what names the text for the
 * message printed on a hit. */
static inline const char *secret_found_in(const char *text, const char *what)
{
	for (size_t i = 0; i < sizeof(secret_needles) / sizeof(*secret_needles);
	     i++) {
		const char *hit = strstr(text, secret_needles[i]);

		if (hit != NULL) {
			const char *bol = hit, *eol = strchr(hit, '\n');

			while (bol > text && bol[-1] != '\n')
				bol--;
			fprintf(stderr, "secret '%s' in %s, line:\n%.*s\n",
				secret_needles[i], what,
				(int)(eol != NULL ? eol - bol
						  : (long)strlen(bol)),
				bol);
			return secret_needles[i];
		}
	}
	return NULL;
}

#endif
