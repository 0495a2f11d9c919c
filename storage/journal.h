/*
 * The intent journal of the SQLite backend: records appended by the
 * event loop (copied into the file's pages through a mapped window, with
 * no system call; pwritev where the file system can not allocate a file's
 * blocks ahead), read back by the writer thread, which
 * applies them to the database in its group commits, and replayed at the
 * next open when a crash left some unapplied. A record that reached the
 * kernel survives a crash of the process; storage_sync = full adds an
 * fdatasync (journal_sync, off the loop) before a record counts as kept.
 *
 * A journal is a directory next to the database (<db>.intents/) of
 * lanes: each process that opens the database takes one lane (a lock
 * file it holds while it runs, L<n>.lock) and writes its records into
 * that lane's files (L<n>.<first seq in hex>), numbered by a sequence
 * that the database remembers per lane: a record whose sequence the
 * database has is never applied twice. A file is at most JOURNAL_FILE_MAX
 * bytes (allocated whole when it starts, trimmed when it ends: one that a
 * crash left ends in zeros); the writer unlinks it once its records are
 * committed.
 *
 * A record on disk: its payload's length (u32), a CRC-32C of the
 * sequence and the payload (u32), the sequence (u64), all little-endian,
 * then the payload. Replay stops in a file at the first record that does
 * not check (a write torn by a power loss).
 *
 * Threads: journal_append and journal_seq on the loop thread only;
 * journal_read, journal_commit, journal_rewind and journal_sync on the
 * writer thread only; journal_applied, journal_wait and journal_pending
 * on any. Not for use outside storage/.
 */
#ifndef STORAGE_JOURNAL_H
#define STORAGE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define JOURNAL_HDR 16			/* bytes before each payload */
#define JOURNAL_REC_MAX (1 << 20)	/* the largest payload */
#define JOURNAL_FILE_MAX (1 << 20)	/* a file's size before the next */
#define JOURNAL_FILES 64		/* files behind the writer at most */
#define JOURNAL_LANES 16		/* processes on one database at once */

struct journal;

/* What journal_open hands over of the lanes that dead processes (or
 * this one's last life) left: every record the database lacks. */
struct journal_replay {
	/* The lane's last sequence that the database holds (0: none). */
	enum gw_err (*applied)(void *arg, int lane, uint64_t *seq);
	/* The records of one file of the lane, whole, with sequences above
	 * that, in order (p points to the first header, n bytes of whole
	 * records; journal_next walks them); the callee commits them. */
	enum gw_err (*records)(void *arg, int lane, const unsigned char *p,
	    size_t n);
	void *arg;
};

/* One record, as journal_next finds it. */
struct journal_rec {
	uint64_t seq;
	const unsigned char *p;	/* the payload, in the caller's buffer */
	size_t n;
};

/*
 * Opens the journal of the database at db: replays (through cb) every
 * lane that no running process holds, removing its files once their
 * records are committed, then takes a free lane for this process,
 * whose sequence continues after what the database holds. full_sync:
 * journal_sync makes appended records durable against power loss too.
 */
enum gw_err journal_open(const char *db, int full_sync,
    const struct journal_replay *cb, struct journal **out) GW_WUR;
/* Closes the files and frees j (NULL: nothing); the lane is free again.
 * Files not yet committed stay for the next open. */
void journal_close(struct journal *j);
/* The lane this process writes. */
int journal_lane(const struct journal *j);

/*
 * Loop thread: appends one record (payload p, n bytes), through the
 * mapped window or with one write, and returns its sequence in *seq.
 * GW_ERR_IO (errno kept) when the write fails (disk full, on a file
 * whose blocks could not be allocated ahead: nothing of the record
 * stays), GW_ERR_LIMIT
 * when n is over JOURNAL_REC_MAX or the writer is JOURNAL_FILES files
 * behind.
 */
enum gw_err journal_append(struct journal *j, const void *p, size_t n,
    uint64_t *seq) GW_WUR;
/* Loop thread: the sequence of the last record appended. */
uint64_t journal_seq(const struct journal *j);

/*
 * Writer thread: whole records appended since the last read (about max
 * bytes, at least one record when any is there), across files: *buf
 * (owned by j, valid until the next call) and *n bytes (0: none new).
 */
enum gw_err journal_read(struct journal *j, size_t max,
    const unsigned char **buf, size_t *n) GW_WUR;
/* The next record of buf at *off (advanced); 0 when none is left, -1 when
 * what is there is not a whole record that checks (crc: check the CRC). */
int journal_next(const unsigned char *buf, size_t n, size_t *off,
    int crc, struct journal_rec *rec);
/* Writer thread: what was read is committed in the database (up to
 * seq): files wholly applied are removed, waiters woken. */
void journal_commit(struct journal *j, uint64_t seq);
/* Writer thread: the records read since the last commit are read
 * again (their transaction failed). */
void journal_rewind(struct journal *j);
/* Writer thread, full_sync: makes every record appended so far durable
 * (fdatasync of the files written since the last call, and of the
 * directory when a file was made); *seq: the last record it covers. */
enum gw_err journal_sync(struct journal *j, uint64_t *seq) GW_WUR;

/* Any thread: the last sequence committed in the database. */
uint64_t journal_applied(struct journal *j);
/* Any thread: records appended and not yet read by the writer. */
int journal_pending(struct journal *j);
/* Any thread: waits (at most timeout_ms) until the records up to seq are
 * committed in the database; 0 when they are. */
int journal_wait(struct journal *j, uint64_t seq, int timeout_ms);

/* CRC-32C (Castagnoli) of n bytes, continuing crc (0 to start). */
uint32_t journal_crc32c(uint32_t crc, const void *p, size_t n);

#endif
