/* HTTP methods, shared by the request parser and the policy modules. */
#ifndef COMMON_HTTP_H
#define COMMON_HTTP_H

enum http_method {
	HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
	HTTP_OPTIONS
};

/* "GET", "POST", ...: the method's name. */
static inline const char *
http_method_name(int m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS" };

	return m >= HTTP_GET && m <= HTTP_OPTIONS ? names[m] : "?";
}

#endif
