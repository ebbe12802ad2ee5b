/* daemon_harness, HTTP side: requests through libcurl and raw sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "daemon_harness.h"

#define DEFAULT_TIMEOUT_S 10L
/* Chunked bodies go out in pieces of at most this size, so a body really
 * grows while the server reads it. */
#define CHUNK_PIECE 1000

struct buffer {
	char *data;
	size_t len;
};

struct upload {
	const char *data;
	size_t len, off;
};

static size_t buffer_append(char *p, size_t size, size_t n, void *arg)
{
	struct buffer *b = arg;
	size_t add = size * n;
	char *grown = realloc(b->data, b->len + add + 1);

	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static size_t upload_read(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t room = size * n, left = u->len - u->off;
	size_t take = left < room ? left : room;

	if (take > CHUNK_PIECE)
		take = CHUNK_PIECE;
	memcpy(p, u->data + u->off, take);
	u->off += take;
	return take;
}

static void curl_init_once(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

static struct curl_slist *build_headers(const struct http_request *req)
{
	struct curl_slist *h = NULL;
	char line[512];

	/* "Name:" with no value removes a header curl would add itself. */
	h = curl_slist_append(h, "Expect:");
	if (req->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 req->content_type);
		h = curl_slist_append(h, line);
	} else {
		h = curl_slist_append(h, "Content-Type:");
	}
	if (req->chunked)
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
	     i++)
		h = curl_slist_append(h, req->headers[i]);
	return h;
}

static void set_method(CURL *c, const struct http_request *req,
		       struct upload *up)
{
	const char *method = req->method != NULL ? req->method : "POST";

	if (strcmp(method, "GET") == 0 && req->body == NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		return;
	}
	if (req->body != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (req->chunked) {
			curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
			curl_easy_setopt(c, CURLOPT_READDATA, up);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)req->body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
					 req->body != NULL ? req->body : "");
		}
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

int http_send(int port, const struct http_request *req,
	      struct http_reply *rep)
{
	struct buffer head = {0}, body = {0};
	struct upload up = {req->body, req->body_len, 0};
	struct curl_slist *headers;
	char url[1024];
	CURLcode rc;
	CURL *c;

	memset(rep, 0, sizeof(*rep));
	curl_init_once();
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(rep->error, sizeof(rep->error), "curl_easy_init");
		return -1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, req->target);
	headers = build_headers(req);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
			 req->timeout_s > 0 ? req->timeout_s : DEFAULT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buffer_append);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buffer_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	set_method(c, req, &up);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
	else
		snprintf(rep->error, sizeof(rep->error), "%s",
			 curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	rep->headers = head.data != NULL ? head.data : strdup("");
	rep->body = body.data != NULL ? body.data : strdup("");
	rep->body_len = body.len;
	return rc == CURLE_OK ? 0 : -1;
}

long http_post(int port, const char *target, const char *content_type,
	       const void *body, size_t len)
{
	struct http_request req = {.target = target,
				   .content_type = content_type,
				   .body = body,
				   .body_len = len};
	struct http_reply rep;
	long status;

	http_send(port, &req, &rep);
	if (rep.status == 0)
		fprintf(stderr, "harness: POST %s: %s\n", target, rep.error);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

long http_get(int port, const char *target)
{
	struct http_request req = {.method = "GET", .target = target};
	struct http_reply rep;
	long status;

	http_send(port, &req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

const char *http_reply_header(const struct http_reply *rep, const char *name,
			      char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *found = NULL;

	/* The last match wins: a 100 Continue block may come first. */
	for (const char *line = rep->headers; line != NULL && *line != '\0';) {
		const char *eol = strchr(line, '\n');

		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':')
			found = line + nlen + 1;
		line = eol != NULL ? eol + 1 : NULL;
	}
	if (found == NULL)
		return NULL;
	while (*found == ' ' || *found == '\t')
		found++;
	snprintf(buf, len, "%.*s", (int)strcspn(found, "\r\n"), found);
	return buf;
}

void http_reply_free(struct http_reply *rep)
{
	free(rep->headers);
	free(rep->body);
	rep->headers = rep->body = NULL;
}

int raw_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "harness: connect to port %d: %s\n", port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int raw_send(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t raw_read_reply(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct timespec start, now;
	size_t n = 0;
	long left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (n + 1 < cap && left > 0 && poll(&pfd, 1, (int)left) == 1) {
		ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);

		if (got <= 0)
			break;
		n += (size_t)got;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000L +
				     (now.tv_nsec - start.tv_nsec) / 1000000L);
	}
	buf[n] = '\0';
	return n;
}

int raw_status(const char *text)
{
	int status = 0;

	if (sscanf(text, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}
