/* What the downstream's answer means for the event:
 *   2xx                          OK
 *   408, 429, 5xx, no answer     RETRY (it may work later)
 *   anything else (4xx, 3xx...)  FAIL  (sending it again cannot help; a
 *                                redirect is not followed: a POST must
 *                                not silently move elsewhere)
 * Reasons name the redacted URL, never its credentials. */
#include <stdio.h>
#include <string.h>

#include "http_fwd.h"

static int is_transient(long status)
{
	return status == 408 || status == 429 ||
	       (status >= 500 && status <= 599);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned cp = s[0] & (0x3f >> (n - 1));

	if (s[0] < 0xc2 || s[0] > 0xf4 || avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* The response body snippet as one line of valid UTF-8: it ends up in a
 * log line and in a dead-letter record, whose JSON cannot hold invalid
 * UTF-8. Line breaks become spaces, other control bytes and broken
 * sequences (also one cut at the end of the snippet) '?'. */
static void printable(const char *in, size_t len, char *out, size_t out_len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < out_len;) {
		size_t seq = s[i] >= 0x80 ? utf8_seq_len(s + i, len - i) : 1;

		if (seq > 1 && n + seq < out_len) {
			memcpy(out + n, s + i, seq);
			n += seq;
			i += seq;
			continue;
		}
		out[n++] = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' '
			   : s[i] < 0x20 || s[i] >= 0x7f		? '?'
							 : (char)s[i];
		i++;
	}
	out[n] = '\0';
}

enum rtw_result http_verdict(const struct http_answer *a,
			     const char *url_redacted, struct rtw_error *err)
{
	char body[HTTP_SNIPPET_BYTES + 1];

	if (a->curl_code != CURLE_OK) {
		rtw_error_set(err, "POST %.200s: %s", url_redacted,
			      a->curl_error);
		return RTW_RETRY;
	}
	if (a->status >= 200 && a->status <= 299)
		return RTW_OK;
	printable(a->snippet, a->snippet_len, body, sizeof(body));
	rtw_error_set(err, "POST %.200s: HTTP %ld%s%s", url_redacted, a->status,
		      body[0] != '\0' ? ": " : "", body);
	return is_transient(a->status) ? RTW_RETRY : RTW_FAIL;
}
