/*
 * cjson.h: the little JSON the C samples need, as static inline functions
 * (no allocation, no libc beyond <stddef.h>/<stdint.h>).
 *
 *   cj_find_string()  checks that a buffer holds exactly one JSON object and
 *                     finds the string value of one of its top-level keys;
 *   cj_unescape()     decodes a raw JSON string (the bytes between the quotes);
 *   cj_escape()       writes bytes as the inside of a JSON string.
 *
 * Shared by samples/chello (fresco ABI) and samples/cstdio (plain WASI).
 */
#ifndef FRESCO_CJSON_H
#define FRESCO_CJSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Results of cj_find_string. */
enum {
	CJ_NOT_OBJECT = -1, /* the input is not a well-formed JSON object */
	CJ_MISSING = 0,     /* the key is absent, or its value is not a string */
	CJ_FOUND = 1        /* *raw, *raw_len hold the value's raw string bytes */
};

/* Containers nested deeper than this are refused (keeps recursion bounded). */
#define CJ_MAX_DEPTH 256

static inline size_t cj_skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static inline int cj_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits at s[i..i+4); returns the code unit or -1. */
static inline long cj_hex4(const char *s, size_t n, size_t i)
{
	long v = 0;
	if (n < 4 || i > n - 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int h = cj_hexval(s[i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Scans a string whose opening quote is at s[i]. Returns the index just past
 * the closing quote, or 0 when the string is malformed (an unknown escape,
 * a bad \u, a raw control character, or no closing quote).
 */
static inline size_t cj_scan_string(const char *s, size_t n, size_t i)
{
	if (i >= n || s[i] != '"')
		return 0;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (++i >= n)
			return 0;
		switch (s[i]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			break;
		case 'u':
			if (cj_hex4(s, n, i + 1) < 0)
				return 0;
			i += 4;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

static inline int cj_isdigit(char c) { return c >= '0' && c <= '9'; }

/* Scans a number starting at s[i]; returns the index past it or 0. */
static inline size_t cj_scan_number(const char *s, size_t n, size_t i)
{
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !cj_isdigit(s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (i < n && cj_isdigit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !cj_isdigit(s[i]))
			return 0;
		while (i < n && cj_isdigit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !cj_isdigit(s[i]))
			return 0;
		while (i < n && cj_isdigit(s[i]))
			i++;
	}
	return i;
}

static inline size_t cj_scan_literal(const char *s, size_t n, size_t i, const char *lit)
{
	for (; *lit; lit++, i++)
		if (i >= n || s[i] != *lit)
			return 0;
	return i;
}

/* Scans any JSON value starting at s[i] (no leading whitespace); returns the
 * index past it or 0 when it is malformed. */
static inline size_t cj_scan_value(const char *s, size_t n, size_t i, int depth)
{
	if (i >= n)
		return 0;
	switch (s[i]) {
	case '"':
		return cj_scan_string(s, n, i);
	case 't':
		return cj_scan_literal(s, n, i, "true");
	case 'f':
		return cj_scan_literal(s, n, i, "false");
	case 'n':
		return cj_scan_literal(s, n, i, "null");
	case '[':
	case '{': {
		char close = s[i] == '[' ? ']' : '}';
		int object = s[i] == '{';
		if (depth >= CJ_MAX_DEPTH)
			return 0;
		i = cj_skip_ws(s, n, i + 1);
		if (i < n && s[i] == close)
			return i + 1;
		for (;;) {
			if (object) {
				i = cj_scan_string(s, n, i);
				if (!i)
					return 0;
				i = cj_skip_ws(s, n, i);
				if (i >= n || s[i] != ':')
					return 0;
				i = cj_skip_ws(s, n, i + 1);
			}
			i = cj_scan_value(s, n, i, depth + 1);
			if (!i)
				return 0;
			i = cj_skip_ws(s, n, i);
			if (i < n && s[i] == ',') {
				i = cj_skip_ws(s, n, i + 1);
				continue;
			}
			if (i < n && s[i] == close)
				return i + 1;
			return 0;
		}
	}
	default:
		return cj_scan_number(s, n, i);
	}
}

/* Appends code point cp (any value below 0x110000) to out as UTF-8; returns
 * the number of bytes written (1 to 4). */
static inline size_t cj_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decodes one character of a raw JSON string (already checked by
 * cj_scan_string) at raw[*i], advancing *i and writing 1 to 4 bytes to out;
 * returns their count. A \u escape naming a lone surrogate decodes as U+FFFD.
 * Bytes that are not escapes are copied as they are.
 */
static inline size_t cj_decode_char(const char *raw, size_t n, size_t *i, char out[4])
{
	char c = raw[*i];
	if (c != '\\') {
		out[0] = c;
		*i += 1;
		return 1;
	}
	c = raw[*i + 1];
	*i += 2;
	switch (c) {
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u': {
		uint32_t cp = (uint32_t)cj_hex4(raw, n, *i);
		*i += 4;
		if (cp >= 0xD800 && cp < 0xDC00 && *i + 1 < n && raw[*i] == '\\' && raw[*i + 1] == 'u') {
			long lo = cj_hex4(raw, n, *i + 2);
			if (lo >= 0xDC00 && lo < 0xE000) {
				*i += 6;
				return cj_put_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00));
			}
		}
		if (cp >= 0xD800 && cp < 0xE000)
			cp = 0xFFFD;
		return cj_put_utf8(out, cp);
	}
	default: /* '"', '\\', '/' */
		out[0] = c;
		return 1;
	}
}

/*
 * Decodes the raw_len bytes of a raw JSON string into out, which needs room
 * for raw_len bytes (decoding never lengthens a string); returns the decoded
 * length. The result may hold NUL bytes (from \u0000).
 */
static inline size_t cj_unescape(const char *raw, size_t raw_len, char *out)
{
	size_t i = 0, o = 0;
	while (i < raw_len)
		o += cj_decode_char(raw, raw_len, &i, out + o);
	return o;
}

/* Reports whether the raw JSON string raw decodes to the NUL-terminated key. */
static inline int cj_raw_equals(const char *raw, size_t raw_len, const char *key)
{
	size_t i = 0;
	char buf[4];
	while (i < raw_len) {
		size_t m = cj_decode_char(raw, raw_len, &i, buf);
		for (size_t k = 0; k < m; k++, key++)
			if (*key == '\0' || *key != buf[k])
				return 0;
	}
	return *key == '\0';
}

/*
 * Checks that s[0..n) is one JSON object (surrounding whitespace allowed)
 * and looks for the top-level key `key`. When the key holds a string, sets
 * *raw and *raw_len to the bytes between its quotes (still escaped: decode
 * them with cj_unescape) and returns CJ_FOUND. A key given more than once
 * counts by its last occurrence, as in Go's encoding/json. Keys are compared
 * exactly (after decoding their escapes).
 */
static inline int cj_find_string(const char *s, size_t n, const char *key,
				 const char **raw, size_t *raw_len)
{
	int found = CJ_MISSING;
	size_t i = cj_skip_ws(s, n, 0);
	if (n - i >= 3 && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBB &&
	    (unsigned char)s[i + 2] == 0xBF) /* a UTF-8 byte order mark */
		i = cj_skip_ws(s, n, i + 3);
	if (i >= n || s[i] != '{')
		return CJ_NOT_OBJECT;
	i = cj_skip_ws(s, n, i + 1);
	if (i < n && s[i] == '}') {
		i++;
	} else {
		for (;;) {
			size_t k = i, v;
			i = cj_scan_string(s, n, i);
			if (!i)
				return CJ_NOT_OBJECT;
			int match = cj_raw_equals(s + k + 1, i - k - 2, key);
			i = cj_skip_ws(s, n, i);
			if (i >= n || s[i] != ':')
				return CJ_NOT_OBJECT;
			v = i = cj_skip_ws(s, n, i + 1);
			i = cj_scan_value(s, n, i, 1);
			if (!i)
				return CJ_NOT_OBJECT;
			if (match && s[v] == '"') {
				found = CJ_FOUND;
				*raw = s + v + 1;
				*raw_len = i - v - 2;
			} else if (match) {
				found = CJ_MISSING;
			}
			i = cj_skip_ws(s, n, i);
			if (i < n && s[i] == ',') {
				i = cj_skip_ws(s, n, i + 1);
				continue;
			}
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			return CJ_NOT_OBJECT;
		}
	}
	if (cj_skip_ws(s, n, i) != n)
		return CJ_NOT_OBJECT;
	return found;
}

/* Room cj_escape needs for n input bytes: at most 6 output bytes each. */
static inline size_t cj_escape_bound(size_t n) { return n * 6; }

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static inline size_t cj_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return len;
}

/*
 * Writes s[0..n) to out as the inside of a JSON string (no quotes added):
 * '"' and '\\' are escaped, control characters become \n, \t, ... or \u00XX,
 * and bytes that are not valid UTF-8 become \ufffd. out needs
 * cj_escape_bound(n) bytes; returns the number written.
 */
static inline size_t cj_escape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c < 0x20) {
			out[o++] = '\\';
			switch (c) {
			case '\b': out[o++] = 'b'; break;
			case '\f': out[o++] = 'f'; break;
			case '\n': out[o++] = 'n'; break;
			case '\r': out[o++] = 'r'; break;
			case '\t': out[o++] = 't'; break;
			default:
				out[o++] = 'u';
				out[o++] = '0';
				out[o++] = '0';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
			}
			i++;
		} else {
			size_t len = cj_utf8_len(u + i, n - i);
			if (len == 0) {
				const char *r = "\\ufffd";
				while (*r)
					out[o++] = *r++;
				i++;
			} else {
				while (len--)
					out[o++] = (char)u[i++];
			}
		}
	}
	return o;
}

/* cj_write_all writes all n bytes of p to fd, giving up on an error. */
static inline void cj_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* cj_append copies the string s to o and returns the end of the copy. */
static inline char *cj_append(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

#endif /* FRESCO_CJSON_H */
