/*
 * The own upstream client's requests (uclient.c), as pure code: the URLs
 * it serves and the request head it writes. Unit tested (test_ureq).
 */
#ifndef GATEWAY_UREQ_H
#define GATEWAY_UREQ_H

#include <stddef.h>
#include <sys/socket.h>

#include "gateway/upstream.h"

/*
 * "http://" host [":" port] target, host an IPv4 address or an IPv6 one
 * in brackets: fills the address, the Host header's value (when host is
 * not NULL) and where the target starts. -1 for anything else (a name,
 * user info, a fragment: those are libcurl's).
 */
int ureq_parse_url(const char *url, struct sockaddr_storage *sa,
    socklen_t *salen, char *host, size_t host_size, const char **target);

/*
 * The request head (malloc'd, *len bytes, not NUL-terminated) for r, as
 * libcurl wrote it; NULL when a header line holds CR or LF, or the head
 * would pass 64 KB.
 */
char *ureq_build(const struct uxfer_req *r, const char *host,
    const char *target, size_t *len);

#endif
