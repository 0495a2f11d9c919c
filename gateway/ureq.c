/* The own upstream client's URLs and request heads (no I/O). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/util.h"
#include "gateway/ureq.h"

#define MAX_REQ_HEAD 65536

/*
 * "http://" host [":" port] target, host an IPv4 address or an IPv6 one
 * in brackets. Fills the address, the Host header's value and the
 * target's start; -1 for anything else (a name, user info, a fragment:
 * libcurl's).
 */
int
ureq_parse_url(const char *url, struct sockaddr_storage *sa, socklen_t *salen,
    char *host, size_t host_size, const char **target)
{
	const char *h, *he, *p, *t;
	char tmp[64];
	uint64_t port = 80;
	size_t hl;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	t = h + strcspn(h, "/?#");
	if (*t == '#' || strchr(t, '#') != NULL || memchr(h, '@',
	    (size_t)(t - h)) != NULL)
		return -1;
	if (*h == '[') {
		he = memchr(h, ']', (size_t)(t - h));
		if (he == NULL)
			return -1;
		p = he + 1;
		hl = (size_t)(he - h - 1);
		if (hl == 0 || hl >= sizeof(tmp))
			return -1;
		memcpy(tmp, h + 1, hl);
	} else {
		he = memchr(h, ':', (size_t)(t - h));
		p = he != NULL ? he : t;
		hl = (size_t)(p - h);
		if (hl == 0 || hl >= sizeof(tmp))
			return -1;
		memcpy(tmp, h, hl);
	}
	tmp[hl] = '\0';
	if (p < t) {
		if (*p != ':' || util_parse_u64(p + 1, (size_t)(t - p - 1),
		    &port) != 0 || port == 0 || port > 65535)
			return -1;
	}
	memset(sa, 0, sizeof(*sa));
	if (*h == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		if (inet_pton(AF_INET6, tmp, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		if (inet_pton(AF_INET, tmp, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*s4);
	}
	/* As libcurl: the host as written, the port unless it is 80. */
	hl = port == 80 ? (size_t)(p - h) : (size_t)(t - h);
	if (host != NULL) {
		if (hl >= host_size)
			return -1;
		memcpy(host, h, hl);
		host[hl] = '\0';
	}
	*target = t;
	return 0;
}

/* Appends to the request head; -1 when it would not fit. */
static int
put(char *b, size_t *at, size_t cap, const char *s, size_t n)
{
	if (n > cap - *at)
		return -1;
	memcpy(b + *at, s, n);
	*at += n;
	return 0;
}

/*
 * The request head, as libcurl wrote it: the request line with the
 * target byte for byte, Host, Accept unless given, the caller's lines
 * ("Name:" with nothing after it only drops the header, as libcurl),
 * Accept-Encoding, Content-Length when there is a body.
 */
char *
ureq_build(const struct uxfer_req *r, const char *host, const char *target,
    size_t *len)
{
	char b[MAX_REQ_HEAD], num[32], *out;
	size_t at = 0;
	int own_host = 0, own_accept = 0, rc = 0;

	for (size_t i = 0; r->headers[i] != NULL; i++) {
		if (strncasecmp(r->headers[i], "host:", 5) == 0)
			own_host = 1;
		else if (strncasecmp(r->headers[i], "accept:", 7) == 0)
			own_accept = 1;
	}
	rc |= put(b, &at, sizeof(b), r->method, strlen(r->method));
	rc |= put(b, &at, sizeof(b), " ", 1);
	if (*target != '/')
		rc |= put(b, &at, sizeof(b), "/", 1);
	rc |= put(b, &at, sizeof(b), target, strlen(target));
	rc |= put(b, &at, sizeof(b), " HTTP/1.1\r\n", 11);
	if (!own_host) {
		rc |= put(b, &at, sizeof(b), "Host: ", 6);
		rc |= put(b, &at, sizeof(b), host, strlen(host));
		rc |= put(b, &at, sizeof(b), "\r\n", 2);
	}
	if (!own_accept)
		rc |= put(b, &at, sizeof(b), "Accept: */*\r\n", 13);
	for (size_t i = 0; r->headers[i] != NULL; i++) {
		const char *l = r->headers[i], *c = strchr(l, ':');
		size_t n = strlen(l);

		if (strpbrk(l, "\r\n") != NULL)
			return NULL;
		if (c != NULL && c[1 + strspn(c + 1, " \t")] == '\0')
			continue;	/* "Name:": dropped */
		rc |= put(b, &at, sizeof(b), l, n);
		rc |= put(b, &at, sizeof(b), "\r\n", 2);
	}
	rc |= put(b, &at, sizeof(b),
	    "Accept-Encoding: gzip, deflate\r\n", 32);
	if (r->has_body) {
		int n = snprintf(num, sizeof(num), "Content-Length: %zu\r\n",
		    r->body_len);

		rc |= put(b, &at, sizeof(b), num, (size_t)n);
	}
	rc |= put(b, &at, sizeof(b), "\r\n", 2);
	if (rc != 0 || (out = malloc(at)) == NULL)
		return NULL;
	memcpy(out, b, at);
	*len = at;
	return out;
}
