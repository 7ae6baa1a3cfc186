/*
 * chello: the Hello function in C, as a fresco ABI function (a WASI reactor
 * that exports fresco_handle). {"name":"Ada"} gives {"message":"Hello, Ada!"};
 * a missing, null, non-string or empty name gives {"message":"Hello, world!"};
 * an event that is not a JSON object fails with errorType "InvalidEvent".
 * It logs one line to stdout per invocation.
 *
 * Rebuild chello.wasm (Debian: apt-get install clang lld wasi-libc
 * libclang-rt-14-dev-wasm32) with samples/chello/build.sh, which runs, in
 * this directory:
 *
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -o chello.wasm main.c -Wl,--strip-debug
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cjson/cjson.h"

#define FRESCO_IMPORT(name) __attribute__((import_module("fresco"), import_name(name)))

FRESCO_IMPORT("invocation_event_size") int fresco_event_size(void);
FRESCO_IMPORT("invocation_event_read") int fresco_event_read(char *buf, int len);
FRESCO_IMPORT("invocation_response") int fresco_response(const char *buf, int len);
FRESCO_IMPORT("invocation_error")
int fresco_error(const char *type, int type_len, const char *body, int body_len);

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		abort(); /* out of guest memory: the host reports Runtime.OutOfMemory */
	return p;
}

/*
 * fresco_snapshot consents to a pre-initialised snapshot (docs/abi.md,
 * "Snapshots"): chello's init (wasi-libc's constructors, run by _initialize)
 * keeps no entropy and nothing that belongs to one invocation, so fresco
 * may run it once and start every invocation from the image.
 */
__attribute__((export_name("fresco_snapshot"))) void fresco_snapshot(void) {}

__attribute__((export_name("fresco_handle"))) void fresco_handle(void)
{
	int size = fresco_event_size();
	if (size < 0)
		return; /* not in an invocation: nothing to answer */
	char *event = xmalloc((size_t)size);
	size_t n = (size_t)fresco_event_read(event, size);

	const char *raw = NULL;
	size_t raw_len = 0;
	int st = cj_find_string(event, n, "name", &raw, &raw_len);
	if (st == CJ_NOT_OBJECT) {
		static const char type[] = "InvalidEvent";
		static const char body[] =
			"{\"errorMessage\":\"event is not a JSON object\",\"errorType\":\"InvalidEvent\"}";
		static const char line[] = "chello: event is not a JSON object\n";
		cj_write_all(1, line, sizeof line - 1);
		fresco_error(type, sizeof type - 1, body, sizeof body - 1);
		free(event);
		return;
	}

	/* The decoded name, then the same escaped for JSON. */
	char *name = xmalloc(raw_len);
	size_t name_len = st == CJ_FOUND ? cj_unescape(raw, raw_len, name) : 0;
	if (name_len == 0) {
		free(name);
		name = strdup("world");
		if (name == NULL)
			abort();
		name_len = 5;
	}
	char *esc = xmalloc(cj_escape_bound(name_len));
	size_t esc_len = cj_escape(name, name_len, esc);

	static const char pre[] = "{\"message\":\"Hello, ", post[] = "!\"}";
	char *out = xmalloc(sizeof pre + esc_len + sizeof post);
	char *o = cj_append(out, pre);
	memcpy(o, esc, esc_len);
	o = cj_append(o + esc_len, post);
	fresco_response(out, (int)(o - out));

	/* One log line; the escaped name cannot break it in two. */
	char *line = xmalloc(sizeof "chello: greeting \n" + esc_len);
	o = cj_append(line, "chello: greeting ");
	memcpy(o, esc, esc_len);
	o += esc_len;
	*o++ = '\n';
	cj_write_all(1, line, (size_t)(o - line));

	free(line);
	free(out);
	free(esc);
	free(name);
	free(event);
}
