/*
 * cstdio: the Hello function in C as a plain WASI command, with no fresco
 * imports at all (the zero-SDK "stdio function" of docs/abi.md): it reads the
 * event from stdin and writes the response to stdout. {"name":"Ada"} gives
 * {"message":"Hello, Ada!"}; a missing, null, non-string or empty name gives
 * {"message":"Hello, world!"}. An event that is not a JSON object makes it
 * print {"errorType":"InvalidEvent","errorMessage":"event is not a JSON object"}
 * and exit with status 1. It logs one line to stderr.
 *
 * Rebuild cstdio.wasm (Debian: apt-get install clang lld wasi-libc
 * libclang-rt-14-dev-wasm32) with samples/cstdio/build.sh, which runs, in
 * this directory:
 *
 *   clang --target=wasm32-wasi -O2 -Wall -Wextra -o cstdio.wasm main.c -Wl,--strip-debug
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cjson/cjson.h"

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort(); /* out of guest memory: the host reports Runtime.OutOfMemory */
	return p;
}

/* Reads all of stdin; returns the bytes and sets *len. */
static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xrealloc(NULL, cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(0, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

int main(void)
{
	size_t n;
	char *event = read_stdin(&n);

	const char *raw = NULL;
	size_t raw_len = 0;
	int st = cj_find_string(event, n, "name", &raw, &raw_len);
	if (st == CJ_NOT_OBJECT) {
		static const char body[] =
			"{\"errorType\":\"InvalidEvent\",\"errorMessage\":\"event is not a JSON object\"}";
		static const char line[] = "cstdio: event is not a JSON object\n";
		cj_write_all(2, line, sizeof line - 1);
		cj_write_all(1, body, sizeof body - 1);
		return 1;
	}

	/* The decoded name, then the same escaped for JSON. */
	char *name = xrealloc(NULL, raw_len);
	size_t name_len = st == CJ_FOUND ? cj_unescape(raw, raw_len, name) : 0;
	if (name_len == 0) {
		name = xrealloc(name, 5);
		memcpy(name, "world", 5);
		name_len = 5;
	}
	char *esc = xrealloc(NULL, cj_escape_bound(name_len));
	size_t esc_len = cj_escape(name, name_len, esc);

	static const char pre[] = "{\"message\":\"Hello, ", post[] = "!\"}";
	char *out = xrealloc(NULL, sizeof pre + esc_len + sizeof post);
	char *o = cj_append(out, pre);
	memcpy(o, esc, esc_len);
	o = cj_append(o + esc_len, post);
	cj_write_all(1, out, (size_t)(o - out));

	/* One log line; the escaped name cannot break it in two. */
	char *line = xrealloc(NULL, sizeof "cstdio: greeting \n" + esc_len);
	o = cj_append(line, "cstdio: greeting ");
	memcpy(o, esc, esc_len);
	o += esc_len;
	*o++ = '\n';
	cj_write_all(2, line, (size_t)(o - line));
	return 0;
}
