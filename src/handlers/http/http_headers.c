/* Checking the operator's extra request headers. A CR or LF in a header
 * line would let a config value inject headers or a whole request, so
 * such lines are refused, as are headers the handler owns. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_fwd.h"

/* Set by the handler (or by libcurl from the body); an operator's copy
 * would contradict ours or break the signature. */
static const char *const reserved[] = {
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "expect",
    "connection",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
};

/* RFC 9110 token characters. */
static int is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_reserved(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (strlen(reserved[i]) == len &&
		    strncasecmp(reserved[i], name, len) == 0)
			return 1;
	return 0;
}

int http_header_check(const char *line, struct rtw_error *err)
{
	size_t name_len = 0;

	while (is_tchar((unsigned char)line[name_len]))
		name_len++;
	if (name_len == 0 || line[name_len] != ':') {
		rtw_error_set(err,
			      "must be \"Name: value\" with a header "
			      "name of letters, digits or !#$%%&'*+-.^_`|~");
		return -1;
	}
	if (strpbrk(line, "\r\n") != NULL) {
		rtw_error_set(err,
			      "header %.*s: the value holds a CR or LF "
			      "(refused: it could inject headers)",
			      (int)name_len, line);
		return -1;
	}
	if (is_reserved(line, name_len)) {
		rtw_error_set(err,
			      "header %.*s: set by the handler itself, "
			      "cannot be configured",
			      (int)name_len, line);
		return -1;
	}
	return 0;
}
