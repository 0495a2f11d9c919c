/*
 * Times and durations as people write them: "24h", "30d", "0";
 * "2027-03-31" (00:00 UTC that day); RFC 3339 "2027-03-31T12:00:00Z"
 * or with an offset ("+02:00"). Pure: the caller passes the time now.
 */
#ifndef COMMON_WHEN_H
#define COMMON_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration and the latest time taken: 100 years, 9999. */
#define WHEN_MAX_DURATION (100LL * 366 * 86400)
#define WHEN_MAX_TIME 253402300799LL

/*
 * A duration: "0", or one or more NUMBER UNIT groups ("90s", "15m",
 * "24h", "30d", "2w", "1h30m"), into seconds. Returns 0, or -1 when it
 * does not parse or is over WHEN_MAX_DURATION.
 */
int when_parse_duration(const char *s, int64_t *secs);

/*
 * A point in time: a duration from now ("30d"), a date ("2027-03-31",
 * 00:00 UTC) or an RFC 3339 time ("2027-03-31T12:00:00Z", fractions
 * ignored, an offset applied), into Unix seconds. Returns 0, or -1 when
 * it does not parse (or is over WHEN_MAX_TIME). Whether it is in the
 * past is the caller's to judge.
 */
int when_parse_time(const char *s, int64_t now, int64_t *at);

/* Unix seconds as "2027-03-31T12:00:00Z" (cap >= 21). Returns 0, or -1
 * for a time before 1970 or after WHEN_MAX_TIME. */
int when_format(int64_t secs, char *out, size_t cap);

#endif
