/* The downstream URL: parsed with libcurl's own URL parser (the same one
 * that will use it) and a copy made safe for logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_fwd.h"

static int scheme_allowed(CURLU *u, struct rtw_error *err)
{
	char *scheme = NULL;
	int ok;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		rtw_error_set(err, "has no scheme (write http://... or "
				   "https://...)");
		return -1;
	}
	ok =
	    strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0;
	if (!ok)
		rtw_error_set(err, "scheme %.16s is not http or https", scheme);
	curl_free(scheme);
	return ok ? 0 : -1;
}

/* Replaces a present part by "***" so a log shows that it was there. */
static int mask_part(CURLU *u, CURLUPart part)
{
	char *value = NULL;
	CURLUcode rc = curl_url_get(u, part, &value, 0);

	curl_free(value);
	if (rc != CURLUE_OK)
		return 0; /* absent */
	return curl_url_set(u, part, "***", 0) == CURLUE_OK ? 0 : -1;
}

static char *redacted_copy(CURLU *u)
{
	char *text = NULL, *copy;

	if (mask_part(u, CURLUPART_USER) != 0 ||
	    mask_part(u, CURLUPART_PASSWORD) != 0 ||
	    mask_part(u, CURLUPART_QUERY) != 0 ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &text, 0) != CURLUE_OK)
		return NULL;
	copy = strdup(text);
	curl_free(text);
	return copy;
}

char *http_url_check(const char *url, struct rtw_error *err)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *safe = NULL;

	if (u == NULL) {
		rtw_error_set(err, "out of memory");
		return NULL;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK)
		/* curl's message names the problem, never the URL. */
		rtw_error_set(err, "not a valid absolute URL (%s)",
			      curl_url_strerror(rc));
	else if (scheme_allowed(u, err) == 0) {
		safe = redacted_copy(u);
		if (safe == NULL)
			rtw_error_set(err, "out of memory");
	}
	curl_url_cleanup(u);
	return safe;
}
