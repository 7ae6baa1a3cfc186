/*
 * cfetch: a read-through cache in front of an HTTP GET, in C on fresco's raw
 * host ABI (docs/abi.md): fresco_http, fresco_cache and fresco_buffers.
 *
 * {"url":"https://example.com/"} looks the URL up in the function's cache.
 * On a miss it GETs the URL through the host's pooled client, answers
 * {"source":"origin","status":200,"body":"<the first 4 KB, escaped>"} and
 * stores the same answer, marked "source":"cached", for 60 s (or "ttl_ms"
 * of the event). On a hit it posts the cached answer's buffer as its
 * response: the bytes go from the cache to the caller without entering the
 * guest's memory. A failed request fails the invocation with an errorType
 * naming the fresco_http errno (HTTP.Denied, HTTP.Connect, ...) and the
 * host's message.
 *
 * Rebuild cfetch.wasm (Debian: apt-get install clang lld wasi-libc
 * libclang-rt-14-dev-wasm32) with samples/cfetch/build.sh.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cjson/cjson.h"

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))

IMPORT("fresco", "invocation_event_size") int fresco_event_size(void);
IMPORT("fresco", "invocation_event_read") int fresco_event_read(char *buf, int len);
IMPORT("fresco", "invocation_response") int fresco_response(const char *buf, int len);
IMPORT("fresco", "invocation_error")
int fresco_error(const char *type, int type_len, const char *body, int body_len);

IMPORT("fresco_http", "request")
int http_request(const char *head, int head_len, const char *body, int body_len);
IMPORT("fresco_http", "response_head") int http_response_head(int h, char *buf, int cap);
IMPORT("fresco_http", "response_read") int http_response_read(int h, char *buf, int cap);
IMPORT("fresco_http", "close") int http_close(int h);
IMPORT("fresco_http", "last_error") int http_last_error(char *buf, int cap);

IMPORT("fresco_cache", "cache_get") int cache_get(const char *key, int key_len);
IMPORT("fresco_cache", "cache_set")
int cache_set(const char *key, int key_len, const char *val, int val_len, int64_t ttl_ms);

IMPORT("fresco_buffers", "buffer_respond") int buffer_respond(int h);

#define BODY_MAX 4096

__attribute__((export_name("fresco_snapshot"))) void fresco_snapshot(void) {}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		abort(); /* out of guest memory: the host reports Runtime.OutOfMemory */
	return p;
}

/* fail posts a function error {"errorMessage": msg, "errorType": type}. */
static void fail(const char *type, const char *msg, size_t msg_len)
{
	char *esc = xmalloc(cj_escape_bound(msg_len));
	size_t esc_len = cj_escape(msg, msg_len, esc);
	char *body = xmalloc(esc_len + strlen(type) + 64);
	char *o = cj_append(body, "{\"errorMessage\":\"");
	memcpy(o, esc, esc_len);
	o = cj_append(o + esc_len, "\",\"errorType\":\"");
	o = cj_append(o, type);
	o = cj_append(o, "\"}");
	fresco_error(type, (int)strlen(type), body, (int)(o - body));
	free(body);
	free(esc);
}

static const char *const http_errno[] = {
	"", "Denied", "Connect", "NotInInvocation", "Timeout", "TLS", "TooLarge",
	"BadHandle", "Invalid", "IO", "TooMany", "Credentials", "Unavailable",
};

/* fail_http fails with HTTP.<errno name> and fresco_http's last message. */
static void fail_http(int rc)
{
	char type[32] = "HTTP.";
	int e = -rc;
	strcat(type, e > 0 && e < (int)(sizeof http_errno / sizeof *http_errno) ? http_errno[e] : "Error");
	char msg[512];
	int n = http_last_error(msg, sizeof msg);
	if (n < 0 || n > (int)sizeof msg)
		n = n < 0 ? 0 : (int)sizeof msg;
	fail(type, msg, (size_t)n);
}

/* ttl_of is the event's "ttl_ms", a positive integer, or 60 s. */
static int64_t ttl_of(const char *event, size_t n)
{
	static const char key[] = "\"ttl_ms\"";
	const char *p = memmem(event, n, key, sizeof key - 1);
	if (p == NULL)
		return 60000;
	p += sizeof key - 1;
	const char *end = event + n;
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	int64_t v = 0;
	while (p < end && cj_isdigit(*p) && v < 30LL * 24 * 3600 * 1000)
		v = v * 10 + (*p++ - '0');
	return v > 0 ? v : 60000;
}

__attribute__((export_name("fresco_handle"))) void fresco_handle(void)
{
	int size = fresco_event_size();
	if (size < 0)
		return;
	char *event = xmalloc((size_t)size);
	size_t n = (size_t)fresco_event_read(event, size);

	const char *raw = NULL;
	size_t raw_len = 0;
	if (cj_find_string(event, n, "url", &raw, &raw_len) != CJ_FOUND || raw_len == 0) {
		static const char msg[] = "want {\"url\": \"https://...\"}";
		fail("InvalidEvent", msg, sizeof msg - 1);
		free(event);
		return;
	}
	char *url = xmalloc(raw_len);
	size_t url_len = cj_unescape(raw, raw_len, url);
	int64_t ttl = ttl_of(event, n);
	free(event);

	/* A hit: post the cached answer without reading it. */
	int cached = cache_get(url, (int)url_len);
	if (cached > 0) {
		buffer_respond(cached);
		free(url);
		return;
	}

	/* A miss: GET url through the host. */
	char *head = xmalloc(url_len + 64);
	char *o = cj_append(head, "GET ");
	memcpy(o, url, url_len);
	o = cj_append(o + url_len, "\nAccept: */*\n");
	int h = http_request(head, (int)(o - head), NULL, 0);
	free(head);
	if (h < 0) {
		fail_http(h);
		free(url);
		return;
	}
	/* The head record ("200\nName: value\n..."), written only when it
	 * fits: its length first, then the record. */
	int head_len = http_response_head(h, NULL, 0);
	char *rec = xmalloc(head_len > 0 ? (size_t)head_len : 1);
	if (head_len > 0)
		http_response_head(h, rec, head_len);
	int code = 0;
	for (int i = 0; i < head_len && cj_isdigit(rec[i]); i++)
		code = code * 10 + (rec[i] - '0');
	free(rec);

	char *body = xmalloc(BODY_MAX);
	size_t body_len = 0;
	while (body_len < BODY_MAX) {
		int r = http_response_read(h, body + body_len, (int)(BODY_MAX - body_len));
		if (r < 0) {
			http_close(h);
			fail_http(r);
			free(body);
			free(url);
			return;
		}
		if (r == 0)
			break;
		body_len += (size_t)r;
	}
	http_close(h);

	/* The answer, "origin" for this caller and "cached" for the next. */
	/* A sequence cut at BODY_MAX becomes \ufffd (cj_escape). */
	char *esc = xmalloc(cj_escape_bound(body_len));
	size_t esc_len = cj_escape(body, body_len, esc);
	char *out = xmalloc(esc_len + 96);
	o = cj_append(out, "{\"source\":\"origin\",\"status\":");
	char num[12];
	int k = 0;
	do
		num[k++] = (char)('0' + code % 10);
	while ((code /= 10) > 0 && k < 11);
	while (k > 0)
		*o++ = num[--k];
	o = cj_append(o, ",\"body\":\"");
	memcpy(o, esc, esc_len);
	o = cj_append(o + esc_len, "\"}");
	int out_len = (int)(o - out);
	fresco_response(out, out_len);
	memcpy(out + sizeof "{\"source\":\"" - 1, "cached", 6);
	cache_set(url, (int)url_len, out, out_len, ttl);

	free(out);
	free(esc);
	free(body);
	free(url);
}
