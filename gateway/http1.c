/* Strict HTTP/1.1 request head and chunked body parsing (no I/O). */
#include <string.h>

#include "common/util.h"
#include "gateway/http1.h"

/* tchar of RFC 9110 5.6.2. */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static const struct {
	const char *name;
	size_t len;
	int method;
} methods[] = {
	{ "GET", 3, HTTP_GET }, { "HEAD", 4, HTTP_HEAD },
	{ "POST", 4, HTTP_POST }, { "PUT", 3, HTTP_PUT },
	{ "PATCH", 5, HTTP_PATCH }, { "DELETE", 6, HTTP_DELETE },
	{ "OPTIONS", 7, HTTP_OPTIONS },
};

#define MAX_TARGET 65536	/* the most max_target_bytes allows */

#define ERR(st, w)                  \
	do {                        \
		*status = (st);     \
		*why = (w);         \
		return HTTP1_ERROR; \
	} while (0)

/* Field value bytes: VCHAR, obs-text, SP, HTAB. */
static int
value_byte_ok(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/*
 * Splits the header line [line, eol) into h: a token name, a colon, a
 * value trimmed of SP/HTAB. Returns NULL, or why the line is refused
 * (obs-fold, no name, a byte that may not be there).
 */
static const char *
header_line(const char *line, const char *eol, struct http1_header *h)
{
	const char *colon, *v, *ve, *p;

	if (*line == ' ' || *line == '\t')
		return "obs-fold or leading whitespace";
	colon = memchr(line, ':', (size_t)(eol - line));
	if (colon == NULL || colon == line)
		return "malformed header line";
	for (p = line; p < colon; p++)
		if (!tchar[(unsigned char)*p])
			return "invalid header name";
	v = colon + 1;
	ve = eol;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	for (p = v; p < ve; p++)
		if (!value_byte_ok((unsigned char)*p))
			return "invalid byte in header value";
	h->name = line;
	h->name_len = (size_t)(colon - line);
	h->value = v;
	h->value_len = (size_t)(ve - v);
	return NULL;
}

/* A Connection header's verdict on keeping the connection: "close"
 * ends it, "keep-alive" keeps an HTTP/1.0 one; else keep as it was. */
static int
conn_keep_alive(const struct http1_header *h, int minor, int keep)
{
	const char *v = h->value, *end = h->value + h->value_len;

	while (v < end) {
		const char *t;

		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		t = v;
		while (v < end && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		if (util_ascii_ieq(t, (size_t)(v - t), "close"))
			keep = 0;
		else if (util_ascii_ieq(t, (size_t)(v - t), "keep-alive") &&
		    minor == 0)
			keep = 1;
	}
	return keep;
}

static int
valid_host(const char *v, size_t len)
{
	if (len == 0 || len > 255)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!(tchar[c] || c == ':' || c == '[' || c == ']') ||
		    c == '%' || c == '\'' || c == '`' || c == '|')
			return 0;
	}
	return 1;
}

/* Parses the request line [p, e) (CRLF excluded). */
static int
parse_request_line(const char *p, const char *e, struct http1_request *req,
    int *status, const char **why)
{
	const char *sp1, *sp2;
	size_t i, mlen;

	sp1 = memchr(p, ' ', (size_t)(e - p));
	if (sp1 == NULL || sp1 == p)
		ERR(400, "malformed request line");
	mlen = (size_t)(sp1 - p);
	for (i = 0; i < mlen; i++)
		if (!tchar[(unsigned char)p[i]])
			ERR(400, "invalid method");
	req->method = -1;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (mlen == methods[i].len &&
		    memcmp(p, methods[i].name, mlen) == 0)
			req->method = methods[i].method;
	if (req->method < 0)
		ERR(501, "method not implemented");
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		ERR(400, "malformed request line");
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - sp1 - 1);
	if (req->target_len > MAX_TARGET)
		ERR(414, "request target too long");
	if (req->target[0] != '/')
		ERR(400, "request target must be origin-form");
	for (i = 0; i < req->target_len; i++) {
		unsigned char c = (unsigned char)req->target[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			ERR(400, "invalid byte in request target");
	}
	if ((size_t)(e - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		if ((size_t)(e - sp2 - 1) == 8 &&
		    memcmp(sp2 + 1, "HTTP/", 5) == 0 &&
		    sp2[6] >= '0' && sp2[6] <= '9' && sp2[7] == '.' &&
		    sp2[8] >= '0' && sp2[8] <= '9')
			ERR(505, "HTTP version not supported");
		ERR(400, "malformed HTTP version");
	}
	if (sp2[8] == '1')
		req->minor = 1;
	else if (sp2[8] == '0')
		req->minor = 0;
	else if (sp2[8] >= '2' && sp2[8] <= '9')
		ERR(505, "HTTP version not supported");
	else
		ERR(400, "malformed HTTP version");
	return 0;
}

/* Applies the framing rules of one header. */
static int
header_semantics(struct http1_request *req, const struct http1_header *h,
    int *seen_host, int *seen_te, int *status, const char **why)
{
	if (util_ascii_ieq(h->name, h->name_len, "content-length")) {
		uint64_t n;

		if (req->content_length >= 0)
			ERR(400, "duplicate Content-Length");
		if (h->value_len > 18 ||
		    util_parse_u64(h->value, h->value_len, &n) != 0)
			ERR(400, "invalid Content-Length");
		req->content_length = (int64_t)n;
	} else if (util_ascii_ieq(h->name, h->name_len, "transfer-encoding")) {
		if (*seen_te)
			ERR(400, "duplicate Transfer-Encoding");
		*seen_te = 1;
		if (h->value_len == 0 ||
		    memchr(h->value, ',', h->value_len) != NULL)
			ERR(400, "Transfer-Encoding must be 'chunked'");
		if (!util_ascii_ieq(h->value, h->value_len, "chunked"))
			ERR(501, "Transfer-Encoding not implemented");
		req->chunked = 1;
	} else if (util_ascii_ieq(h->name, h->name_len, "host")) {
		if (*seen_host)
			ERR(400, "duplicate Host");
		*seen_host = 1;
		if (!valid_host(h->value, h->value_len))
			ERR(400, "invalid Host");
	} else if (util_ascii_ieq(h->name, h->name_len, "connection")) {
		req->keep_alive = conn_keep_alive(h, req->minor,
		    req->keep_alive);
	} else if (util_ascii_ieq(h->name, h->name_len, "expect")) {
		if (!util_ascii_ieq(h->value, h->value_len, "100-continue"))
			ERR(417, "unsupported expectation");
		req->expect_continue = 1;
	}
	return 0;
}

int
http1_parse_head(const char *buf, size_t len, size_t max_head,
    size_t max_headers, struct http1_request *req, int *status,
    const char **why)
{
	const char *p, *line, *end = NULL;
	size_t i, scan = len < max_head ? len : max_head;
	int seen_host = 0, seen_te = 0;

	/* Pass 1: line endings are CRLF, nothing else; find the head's end. */
	for (i = 0; i < scan; i++) {
		if (buf[i] == '\n') {
			if (i == 0 || buf[i - 1] != '\r')
				ERR(400, "bare LF");
			if (i >= 3 && buf[i - 2] == '\n' &&
			    buf[i - 3] == '\r') {
				end = buf + i + 1;
				break;
			}
			if (i == 1)
				ERR(400, "empty line before request");
		} else if (buf[i] == '\r') {
			if (i + 1 < len && buf[i + 1] != '\n')
				ERR(400, "bare CR");
		} else if (buf[i] == '\0') {
			ERR(400, "NUL in request head");
		}
	}
	if (end == NULL) {
		if (len >= max_head)
			ERR(431, "request head too large");
		return HTTP1_NEED_MORE;
	}

	{
		struct http1_header *hdrs = req->headers;

		memset(req, 0, sizeof(*req));
		req->headers = hdrs;
	}
	req->content_length = -1;
	req->head_len = (size_t)(end - buf);

	/* Pass 2: the request line, then one header per line. */
	p = memchr(buf, '\r', (size_t)(end - buf));
	if (parse_request_line(buf, p, req, status, why) != 0)
		return HTTP1_ERROR;
	req->keep_alive = req->minor == 1;
	line = p + 2;
	while (line < end - 2) {
		const char *eol = memchr(line, '\r', (size_t)(end - line));
		struct http1_header hh, *h;
		const char *bad = header_line(line, eol, &hh);

		if (bad != NULL)
			ERR(400, bad);
		if (req->n_headers == max_headers)
			ERR(431, "too many headers");
		h = &req->headers[req->n_headers++];
		*h = hh;
		if (header_semantics(req, h, &seen_host, &seen_te, status,
		    why) != 0)
			return HTTP1_ERROR;
		line = eol + 2;
	}
	if (req->chunked && req->content_length >= 0)
		ERR(400, "both Content-Length and Transfer-Encoding");
	if (req->chunked && req->minor == 0)
		ERR(400, "Transfer-Encoding in HTTP/1.0");
	if (req->minor == 1 && !seen_host)
		ERR(400, "missing Host");
	return HTTP1_DONE;
}

const struct http1_header *
http1_find(const struct http1_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (util_ascii_ieq(req->headers[i].name,
		    req->headers[i].name_len, name))
			return &req->headers[i];
	return NULL;
}

enum chunk_state {
	CH_SIZE,	/* hex digits */
	CH_EXT,		/* ;ext up to CR */
	CH_SIZE_LF,	/* LF after the size line */
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,	/* start of a trailer line or the final CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_FINAL_LF,
	CH_DONE
};

#define MAX_CHUNK_DIGITS 15
#define MAX_CHUNK_LINE 1024
#define MAX_TRAILERS 32

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http1_chunked_feed(struct http1_chunked *st, const char *in, size_t len,
    size_t *used, const char **data, size_t *data_len)
{
	size_t i = 0;

	*data = NULL;
	*data_len = 0;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		int h;

		switch (st->state) {
		case CH_SIZE:
			h = hexval(c);
			if (h >= 0) {
				if (++st->digits > MAX_CHUNK_DIGITS)
					return HTTP1_ERROR;
				st->remaining = st->remaining * 16 +
				    (unsigned)h;
				i++;
				break;
			}
			if (st->digits == 0)
				return HTTP1_ERROR;
			if (c == ';') {
				st->state = CH_EXT;
				st->line_len = st->digits;
				i++;
				break;
			}
			if (c != '\r')
				return HTTP1_ERROR;
			st->state = CH_SIZE_LF;
			i++;
			break;
		case CH_EXT:
			if (c == '\r') {
				st->state = CH_SIZE_LF;
			} else if (c == '\n' || (c < 0x20 && c != '\t') ||
			    c == 0x7f || ++st->line_len > MAX_CHUNK_LINE) {
				return HTTP1_ERROR;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return HTTP1_ERROR;
			i++;
			st->digits = 0;
			st->state = st->remaining == 0 ? CH_TRAILER : CH_DATA;
			break;
		case CH_DATA: {
			size_t n = len - i;

			if (n > st->remaining)
				n = (size_t)st->remaining;
			st->remaining -= n;
			if (st->remaining == 0)
				st->state = CH_DATA_CR;
			*data = in + i;
			*data_len = n;
			*used = i + n;
			return HTTP1_NEED_MORE;
		}
		case CH_DATA_CR:
			if (c != '\r')
				return HTTP1_ERROR;
			st->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return HTTP1_ERROR;
			st->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			if (c == '\r') {
				st->state = CH_FINAL_LF;
			} else {
				if (!tchar[c] || ++st->trailers > MAX_TRAILERS)
					return HTTP1_ERROR;
				st->line_len = 1;
				st->state = CH_TRAILER_LINE;
			}
			i++;
			break;
		case CH_TRAILER_LINE:
			if (c == '\r')
				st->state = CH_TRAILER_LF;
			else if (c == '\n' || (c < 0x20 && c != '\t') ||
			    c == 0x7f || ++st->line_len > MAX_CHUNK_LINE)
				return HTTP1_ERROR;
			i++;
			break;
		case CH_TRAILER_LF:
			if (c != '\n')
				return HTTP1_ERROR;
			st->state = CH_TRAILER;
			i++;
			break;
		case CH_FINAL_LF:
			if (c != '\n')
				return HTTP1_ERROR;
			st->state = CH_DONE;
			*used = i + 1;
			return HTTP1_DONE;
		default:
			return HTTP1_ERROR;
		}
	}
	*used = i;
	return st->state == CH_DONE ? HTTP1_DONE : HTTP1_NEED_MORE;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

int
http_is_hop_by_hop(const char *name, size_t len)
{
	static const char *const hop[] = {
		"connection", "keep-alive", "proxy-connection", "te", "trailer",
		"transfer-encoding", "upgrade", "proxy-authorization",
		"proxy-authenticate", NULL
	};

	for (int i = 0; hop[i] != NULL; i++)
		if (util_ascii_ieq(name, len, hop[i]))
			return 1;
	return 0;
}

/* Applies the framing rules of one response header. */
static int
resp_semantics(struct http1_response *resp, const struct http1_header *h,
    int *seen_te, const char **why)
{
	if (util_ascii_ieq(h->name, h->name_len, "content-length")) {
		uint64_t n;

		if (resp->content_length >= 0) {
			*why = "duplicate Content-Length";
			return -1;
		}
		if (h->value_len > 18 ||
		    util_parse_u64(h->value, h->value_len, &n) != 0) {
			*why = "invalid Content-Length";
			return -1;
		}
		resp->content_length = (int64_t)n;
	} else if (util_ascii_ieq(h->name, h->name_len, "transfer-encoding")) {
		if (*seen_te) {
			*why = "duplicate Transfer-Encoding";
			return -1;
		}
		*seen_te = 1;
		/* Any coding but chunked alone is the decoder's to refuse
		 * (udecode_check); the body is then not read. */
		if (util_ascii_ieq(h->value, h->value_len, "chunked"))
			resp->chunked = 1;
		else
			resp->te_other = 1;
	} else if (util_ascii_ieq(h->name, h->name_len, "connection")) {
		resp->keep_alive = conn_keep_alive(h, resp->minor,
		    resp->keep_alive);
	}
	return 0;
}

#define RERR(w)                     \
	do {                        \
		*why = (w);         \
		return HTTP1_ERROR; \
	} while (0)

int
http1_parse_response(const char *buf, size_t len, size_t max_head,
    size_t max_headers, struct http1_response *resp, const char **why)
{
	const char *p, *line, *end = NULL;
	size_t i, scan = len < max_head ? len : max_head;
	int seen_te = 0;

	/* Line endings are CRLF, nothing else; find the head's end. */
	for (i = 0; i < scan; i++) {
		if (buf[i] == '\n') {
			if (i == 0 || buf[i - 1] != '\r')
				RERR("bare LF");
			if (i >= 3 && buf[i - 2] == '\n' &&
			    buf[i - 3] == '\r') {
				end = buf + i + 1;
				break;
			}
			if (i == 1)
				RERR("empty line before the status line");
		} else if (buf[i] == '\r') {
			if (i + 1 < len && buf[i + 1] != '\n')
				RERR("bare CR");
		} else if (buf[i] == '\0') {
			RERR("NUL in response head");
		}
	}
	if (end == NULL) {
		if (len >= max_head)
			RERR("response head too large");
		/* Not even the start of a status line: not HTTP. */
		if (memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0)
			RERR("not an HTTP/1 status line");
		return HTTP1_NEED_MORE;
	}
	{
		struct http1_header *hdrs = resp->headers;

		memset(resp, 0, sizeof(*resp));
		resp->headers = hdrs;
	}
	resp->content_length = -1;
	resp->head_len = (size_t)(end - buf);

	/* "HTTP/1.x SSS[ reason]" */
	p = memchr(buf, '\r', (size_t)(end - buf));
	if (p - buf < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    (p - buf > 12 && buf[12] != ' '))
		RERR("malformed status line");
	resp->minor = buf[7] - '0';
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			RERR("malformed status code");
		resp->status = resp->status * 10 + (buf[i] - '0');
	}
	if (resp->status < 100)
		RERR("malformed status code");
	for (const char *r = buf + 12; r < p; r++)
		if (!value_byte_ok((unsigned char)*r))
			RERR("invalid byte in reason phrase");
	resp->keep_alive = resp->minor == 1;
	line = p + 2;
	while (line < end - 2) {
		const char *eol = memchr(line, '\r', (size_t)(end - line));
		struct http1_header hh, *h = &hh;
		const char *bad = header_line(line, eol, &hh);

		if (bad != NULL)
			RERR(bad);
		/* Headers past max_headers still frame the answer, but are
		 * not kept (nor relayed). */
		if (resp->n_headers < max_headers) {
			h = &resp->headers[resp->n_headers++];
			*h = hh;
		} else if (util_ascii_ieq(hh.name, hh.name_len,
		    "content-encoding"))
			resp->coding_dropped = 1;
		if (resp_semantics(resp, h, &seen_te, why) != 0)
			return HTTP1_ERROR;
		line = eol + 2;
	}
	if (seen_te && resp->content_length >= 0)
		RERR("both Content-Length and Transfer-Encoding");
	if (seen_te && resp->minor == 0)
		RERR("Transfer-Encoding in HTTP/1.0");
	return HTTP1_DONE;
}
