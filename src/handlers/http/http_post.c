/* One POST through a pooled handle: the body as received, the answer's
 * status, Retry-After and the first bytes of its body. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_fwd.h"

/* Keeps the first HTTP_SNIPPET_BYTES of the response body and swallows
 * the rest (returning less would abort the transfer and the
 * connection). */
static size_t keep_snippet(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_answer *a = arg;
	size_t len = size * nmemb;
	size_t room = HTTP_SNIPPET_BYTES - a->snippet_len;
	size_t take = len < room ? len : room;

	memcpy(a->snippet + a->snippet_len, data, take);
	a->snippet_len += take;
	a->snippet[a->snippet_len] = '\0';
	return len;
}

/* Retry-After as delta-seconds or an HTTP-date (RFC 9110 10.2.3); -1
 * when absent or unreadable. */
static long retry_after_ms(CURL *h)
{
	struct curl_header *hdr = NULL;
	const char *v;
	char *end;
	long long secs;

	if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hdr) !=
	    CURLHE_OK)
		return -1;
	v = hdr->value;
	if (isdigit((unsigned char)v[0])) {
		secs = strtoll(v, &end, 10);
		if (*end != '\0' && !isspace((unsigned char)*end))
			return -1;
	} else {
		time_t when = curl_getdate(v, NULL);

		if (when == -1)
			return -1;
		secs = (long long)(when - time(NULL));
	}
	if (secs < 0)
		secs = 0;
	return secs > 86400 * 365 ? 86400L * 365 * 1000 : (long)secs * 1000;
}

int http_post(CURL *h, const struct curl_slist *headers, const void *body,
	      size_t body_len, struct http_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after_ms = -1;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_snippet);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_error);
	a->curl_code = curl_easy_perform(h);
	/* The buffers are ours for this call only. */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (a->curl_code != CURLE_OK) {
		if (a->curl_error[0] == '\0')
			strncpy(a->curl_error, curl_easy_strerror(a->curl_code),
				sizeof(a->curl_error) - 1);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	a->retry_after_ms = retry_after_ms(h);
	return 0;
}
