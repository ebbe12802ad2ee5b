/* http_request.c: what the listener checks before and after reading a
 * body, free of libmicrohttpd so it can be unit-tested: endpoint lookup,
 * Content-Type and Content-Length rules, token and signature checks. */
#ifndef RTW_HTTP_REQUEST_H
#define RTW_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "signature.h"

/* Index of the endpoint serving path, or -1. */
int request_find_endpoint(const struct config *conf, const char *path);

/* Is a Content-Type header value JSON? application/json or
 * application/<x>+json, any parameters, any case. */
int request_content_type_is_json(const char *value);

/* Parses a Content-Length value. Returns 0 with *len set, or -1 when the
 * value is not a plain decimal number. */
int request_parse_content_length(const char *value, uint64_t *len);

/* Checks the `token` query value (NULL when absent) against the
 * endpoint's tokens. Endpoints without tokens pass. Returns 0 or -1 with
 * the reason in why. */
int request_check_token(const struct endpoint_conf *ep, const char *token,
			char *why, size_t whylen);

/* Verifies the signature headers when the endpoint has signing secrets
 * (endpoints without them pass). Returns 0 or -1 with the reason. */
int request_check_signature(const struct endpoint_conf *ep,
			    const struct signature_headers *h,
			    const char *body, size_t len, int64_t now,
			    char *why, size_t whylen);

#endif
