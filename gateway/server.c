/* The listener: accept, admission (max_connections, per-address counts,
 * drain) and the server's limits; connections are gateway/conn.c's. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/listener.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/config.h"
#include "gateway/conn.h"
#include "gateway/conn_int.h"

void
server_get_stats(const struct server *s, struct server_stats *out)
{
	out->bodies_bytes = s->bodies_held;
	out->bodies_waiting = s->n_waiting;
	out->refused_per_ip = s->refused_per_ip;
	out->refused_overloaded = s->refused_overloaded;
}

void
format_peer(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, len, "%s:%d", host, port);
}

/* The address bytes of a peer (4 or 16), for the per-address count. */
size_t
addr_key(const struct sockaddr *sa, unsigned char *out)
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

static unsigned
addr_bucket(const unsigned char *a, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % IP_BUCKETS;
}

/* Counts a connection of the address; NULL when it has too many (or no
 * memory: refused too). */
static struct ipcount *
ip_take(struct server *s, const struct sockaddr *sa, int *over)
{
	unsigned char a[16];
	size_t len = addr_key(sa, a);
	unsigned b = addr_bucket(a, len);
	struct ipcount *e;

	*over = 0;
	for (e = s->ips[b]; e != NULL; e = e->next)
		if (e->len == len && memcmp(e->addr, a, len) == 0)
			break;
	if (e != NULL && e->n >= s->lim.max_connections_per_ip) {
		*over = 1;
		return NULL;
	}
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return NULL;
		memcpy(e->addr, a, len);
		e->len = (unsigned char)len;
		e->next = s->ips[b];
		s->ips[b] = e;
	}
	e->n++;
	return e;
}

void
ip_release(struct server *s, struct ipcount *e)
{
	struct ipcount **pp;

	if (e == NULL || --e->n > 0)
		return;
	for (pp = &s->ips[addr_bucket(e->addr, e->len)]; *pp != e;
	    pp = &(*pp)->next)
		;
	*pp = e->next;
	free(e);
}

/* Refused connections are logged once a second at most, with a count. */
static void
log_refusal(struct server *s, const struct sockaddr *sa, const char *why)
{
	uint64_t now = util_now_ms();
	char peer[64];

	s->refusals_unlogged++;
	if (now - s->last_refusal_log_ms < 1000 && s->last_refusal_log_ms)
		return;
	format_peer(sa, peer, sizeof(peer));
	log_warn("refused %llu connection(s) in the last second: %s "
	    "(last from %s)", (unsigned long long)s->refusals_unlogged, why,
	    peer);
	s->refusals_unlogged = 0;
	s->last_refusal_log_ms = now;
}

static void
accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	struct ipcount *ip;
	int over;

	if (s->n >= s->lim.max_connections || s->draining) {
		if (!s->draining)
			log_refusal(s, sa, "max_connections reached");
		evutil_closesocket(fd);
		return;
	}
	ip = ip_take(s, sa, &over);
	if (ip == NULL) {
		if (over) {
			s->refused_per_ip++;
			log_refusal(s, sa, "max_connections_per_ip reached");
		}
		evutil_closesocket(fd);
		return;
	}
	conn_new(s, fd, sa, ip);
}

struct server *
server_new(struct event_base *base, const char *addr, SSL_CTX *tls,
    const struct server_ops *ops, void *arg, const struct server_limits *lim,
    int *port)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	socklen_t len = sizeof(ss);
	char host[256];
	int p;

	if (s == NULL)
		return NULL;
	s->base = base;
	s->tls = tls;
	s->ops = ops;
	s->arg = arg;
	s->lim = *lim;
	s->scratch = calloc((size_t)lim->max_headers, sizeof(*s->scratch));
	if (s->scratch == NULL)
		goto fail;
	if (config_split_addr(addr, host, sizeof(host), &p) != 0)
		goto fail;
	memset(&ss, 0, sizeof(ss));
	if (evutil_inet_pton(AF_INET, host,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)p);
		sslen = sizeof(struct sockaddr_in);
	} else if (evutil_inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)p);
		sslen = sizeof(struct sockaddr_in6);
	} else {
		log_error("listen %s: not a numeric address", log_q(addr));
		goto fail;
	}
	s->lis = evconnlistener_new_bind(base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, sslen);
	if (s->lis == NULL) {
		log_error("listen %s: %s", log_q(addr),
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		goto fail;
	}
	if (getsockname(evconnlistener_get_fd(s->lis),
	    (struct sockaddr *)&ss, &len) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return s;
fail:
	free(s->scratch);
	free(s);
	return NULL;
}

void
server_set_limits(struct server *s, const struct server_limits *lim)
{
	struct http1_header *h = s->scratch;

	if (lim->max_headers != s->lim.max_headers) {
		h = calloc((size_t)lim->max_headers, sizeof(*h));
		if (h == NULL) {
			log_error("reload: out of memory; limits unchanged");
			return;
		}
		free(s->scratch);
	}
	s->lim = *lim;
	s->scratch = h;
	for (struct conn *c = s->all; c != NULL; c = c->next)
		set_write_limits(c);
	admit_waiting(s);
}

void
server_drain(struct server *s)
{
	s->draining = 1;
	if (s->lis != NULL)
		evconnlistener_disable(s->lis);
	/* Idle connections go now; busy ones close after their response. */
	for (struct conn *c = s->all, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == CS_HEAD && !c->started)
			conn_free(c);
	}
}

unsigned
server_conns(const struct server *s)
{
	return s->n;
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	while (s->all != NULL)
		conn_free(s->all);
	if (s->lis != NULL)
		evconnlistener_free(s->lis);
	free(s->scratch);
	free(s);
}
