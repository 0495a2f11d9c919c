/*
 * Unit tests of the SQLite backend's intent journal (storage/journal.h):
 * replay of what a crash left, a torn last record, a CRC mismatch, a
 * full journal and a failed write refuse without leaving a partial
 * record; and through the store, kill -9 with records the database
 * lacks, then a reopen that replays them: the spend is exact; with
 * storage_sync = full, a reservation whose sync failed is released.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "storage/journal.h"
#include "storage/store.h"
#include "tests/tap.h"

/* fdatasync fails while this is set: the binary is linked with
 * --wrap=fdatasync (the journal's syncs; SQLite's are its own). */
static atomic_int fail_sync;

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

int
__wrap_fdatasync(int fd)
{
	if (atomic_load(&fail_sync)) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

/* What a replay handed over. */
static struct {
	uint64_t applied;	/* what the "database" holds */
	uint64_t seqs[128];
	char first[128][16];	/* each payload's first bytes */
	size_t n;
	int bad;		/* a record handed over that does not check */
} rp;

static enum gw_err
cb_applied(void *arg, int lane, uint64_t *seq)
{
	*seq = rp.applied;
	return GW_OK;
}

static enum gw_err
cb_records(void *arg, int lane, const unsigned char *p, size_t n)
{
	struct journal_rec rec;
	size_t off = 0;
	int rc;

	while ((rc = journal_next(p, n, &off, 1, &rec)) == 1) {
		if (rp.n < 128) {
			rp.seqs[rp.n] = rec.seq;
			snprintf(rp.first[rp.n], sizeof(rp.first[0]), "%.*s",
			    (int)(rec.n < 15 ? rec.n : 15), rec.p);
		}
		rp.n++;
	}
	if (rc != 0)
		rp.bad = 1;
	return GW_OK;
}

static const struct journal_replay replay_cb = { cb_applied, cb_records,
	NULL };

static char db[256], dir[300];

/* A fresh database path (its journal directory empty). */
static void
fresh(const char *name)
{
	DIR *d;
	struct dirent *e;

	snprintf(db, sizeof(db), "/tmp/eugate-test-journal-%d-%s.db",
	    (int)getpid(), name);
	snprintf(dir, sizeof(dir), "%s.intents", db);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char p[600];

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
		rmdir(dir);
	}
	for (const char *suf = ""; suf != NULL;
	    suf = *suf == '\0' ? "-wal" : *suf == '-' && suf[1] == 'w' ?
	    "-shm" : NULL) {
		char p[300];

		snprintf(p, sizeof(p), "%s%s", db, suf);
		unlink(p);
	}
	memset(&rp, 0, sizeof(rp));
}

/* Record files of lane 0 in the journal directory. */
static int
n_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "L0.", 3) == 0 &&
		    strcmp(e->d_name, "L0.lock") != 0;
	closedir(d);
	return n;
}

/* Opens the journal (replaying into rp), appends n records "rec<i>". */
static struct journal *
open_append(int n)
{
	struct journal *j = NULL;

	if (journal_open(db, 0, &replay_cb, &j) != GW_OK)
		return NULL;
	for (int i = 1; i <= n; i++) {
		char p[32];
		uint64_t seq;
		int len = snprintf(p, sizeof(p), "rec%d-payload", i);

		if (journal_append(j, p, (size_t)len, &seq) != GW_OK ||
		    seq != journal_seq(j)) {
			journal_close(j);
			return NULL;
		}
	}
	return j;
}

/* The first record file of lane 0. */
static void
first_file(char *out, size_t len)
{
	snprintf(out, len, "%s/L0.%016x", dir, 1);
}

static void
test_replay(void)
{
	struct journal *j;

	fresh("replay");
	j = open_append(3);
	ok(j != NULL && journal_seq(j) == 3, "three records appended");
	journal_close(j);	/* none applied: a crash's leftovers */
	ok(n_files() == 1, "a close with records not applied keeps the file");
	j = open_append(0);
	ok(j != NULL && rp.n == 3 && rp.seqs[0] == 1 && rp.seqs[2] == 3 &&
	    strcmp(rp.first[1], "rec2-payload") == 0 && !rp.bad,
	    "reopen replays the three records, in order, whole");
	ok(j != NULL && journal_seq(j) == 3 && n_files() == 0,
	    "the replayed files are removed; the sequence continues at 3");
	journal_close(j);

	/* What the database holds already is not handed over again. */
	fresh("applied");
	journal_close(open_append(3));
	rp.applied = 2;
	j = open_append(0);
	ok(j != NULL && rp.n == 1 && rp.seqs[0] == 3,
	    "records the database holds are skipped (only 3 of 1..3)");
	journal_close(j);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A file is allocated whole when it starts and written through a
 * mapped window: a process that dies (no close) leaves its records and
 * a zero end, which replay reads past; a close trims the file. */
static void
test_mapped(void)
{
	char path[400];
	struct journal *j;
	pid_t pid;
	int st = 0;

	fresh("mapped");
	j = open_append(2);
	first_file(path, sizeof(path));
	ok(j != NULL && file_size(path) == JOURNAL_FILE_MAX,
	    "a new file is allocated whole (%lld bytes)",
	    (long long)file_size(path));
	journal_close(j);
	ok(file_size(path) == 2 * (JOURNAL_HDR + 12),
	    "a close trims it to its records (%lld bytes)",
	    (long long)file_size(path));
	j = open_append(0);
	ok(j != NULL && rp.n == 2 && !rp.bad, "replay after a close");
	journal_close(j);

	fresh("mapped-kill");
	first_file(path, sizeof(path));
	pid = fork();
	if (pid == 0) {
		/* More records than one window holds; then die unclosed. */
		j = open_append(0);
		for (int i = 1; j != NULL && i <= 5000; i++) {
			char p[32];
			uint64_t seq;
			int len = snprintf(p, sizeof(p), "rec%d-payload", i);

			if (journal_append(j, p, (size_t)len, &seq) != GW_OK)
				_exit(3);
		}
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "a process appends 5000 records and is killed");
	ok(file_size(path) == JOURNAL_FILE_MAX, "its file keeps its zero end");
	j = open_append(0);
	ok(j != NULL && rp.n == 5000 && rp.seqs[0] == 1 &&
	    rp.seqs[127] == 128 && !rp.bad && journal_seq(j) == 5000,
	    "replay finds all 5000, in order (%zu)", (size_t)rp.n);
	journal_close(j);
}

static void
test_torn(void)
{
	char path[400];
	struct journal *j;

	fresh("torn");
	journal_close(open_append(3));
	first_file(path, sizeof(path));
	{
		int fd = open(path, O_RDWR);
		off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

		ok(fd >= 0 && end > 5 && ftruncate(fd, end - 5) == 0,
		    "the last record cut short (a write torn by a power loss)");
		if (fd >= 0)
			close(fd);
	}
	j = open_append(0);
	ok(j != NULL && rp.n == 2 && rp.seqs[1] == 2 && !rp.bad,
	    "a torn last record: the two whole ones are replayed");
	ok(j != NULL && journal_seq(j) == 2, "the sequence continues after "
	    "the last whole record");
	journal_close(j);
}

static void
test_crc(void)
{
	char path[400];
	struct journal *j;
	unsigned char b;

	fresh("crc");
	journal_close(open_append(3));
	first_file(path, sizeof(path));
	{
		/* One byte of record 2's payload: after record 1's header and
		 * payload (16 + 12) and record 2's header (16). */
		int fd = open(path, O_RDWR);
		off_t at = JOURNAL_HDR + 12 + JOURNAL_HDR + 3;

		ok(fd >= 0 && pread(fd, &b, 1, at) == 1 && (b ^= 0x20, 1) &&
		    pwrite(fd, &b, 1, at) == 1, "a byte of record 2 changed");
		if (fd >= 0)
			close(fd);
	}
	j = open_append(0);
	ok(j != NULL && rp.n == 1 && rp.seqs[0] == 1 && !rp.bad,
	    "a CRC mismatch ends the file: record 1 only is replayed");
	journal_close(j);
}

/* The writer's side: reads every record appended and commits them. */
static int
drain(struct journal *j)
{
	const unsigned char *buf;
	size_t n;
	int recs = 0;

	for (;;) {
		struct journal_rec rec;
		size_t off = 0;
		uint64_t last = 0;

		if (journal_read(j, 1 << 24, &buf, &n) != GW_OK)
			return -1;
		if (n == 0)
			return recs;
		while (journal_next(buf, n, &off, 1, &rec) == 1) {
			last = rec.seq;
			recs++;
		}
		journal_commit(j, last);
	}
}

static void
test_full(void)
{
	size_t big = JOURNAL_FILE_MAX - JOURNAL_HDR;
	unsigned char *p = calloc(1, big);
	struct journal *j;
	enum gw_err err = GW_OK;
	uint64_t seq = 0;
	int kept = 0;

	fresh("full");
	j = open_append(0);
	if (j == NULL || p == NULL) {
		ok(0, "journal opened");
		free(p);
		return;
	}
	/* One record fills a file: the writer, stopped, falls behind. */
	for (int i = 0; i < JOURNAL_FILES + 1 && err == GW_OK; i++) {
		memset(p, 'a' + i % 26, big);
		err = journal_append(j, p, big, &seq);
		kept += err == GW_OK;
	}
	ok(err == GW_ERR_LIMIT && kept == JOURNAL_FILES - 1,
	    "a writer %d files behind: the next append is refused (%d kept)",
	    JOURNAL_FILES, kept);
	ok(journal_seq(j) == (uint64_t)kept && journal_pending(j),
	    "the refused record took no sequence; the kept ones wait");
	ok(drain(j) == kept && journal_applied(j) == (uint64_t)kept,
	    "the writer applies every kept record, none lost");
	ok(journal_append(j, "after", 5, &seq) == GW_OK &&
	    seq == (uint64_t)kept + 1, "once it caught up, appends are kept "
	    "again");
	ok(drain(j) == 1 && n_files() <= 1, "files wholly applied are "
	    "removed");
	journal_close(j);
	ok(n_files() == 0, "a close with everything applied leaves no file");
	free(p);
}

/* A write that fails part-way (the file size limit, like a full disk)
 * leaves nothing of the record: the next one follows the last kept. */
static void
test_write_fails(void)
{
	struct rlimit old, lim;
	struct journal *j;
	uint64_t seq = 0;
	enum gw_err err;
	char path[400];
	int fd;
	off_t end = -1;

	fresh("efbig");
	/* The limit is there before the file starts: its blocks can not be
	 * allocated ahead, so it is written with pwritev, and the third
	 * write is cut. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 2 * (JOURNAL_HDR + 12) + JOURNAL_HDR + 4;
	setrlimit(RLIMIT_FSIZE, &lim);
	j = open_append(2);
	if (j == NULL) {
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
		ok(0, "journal opened");
		return;
	}
	first_file(path, sizeof(path));
	err = journal_append(j, "rec3-payload", 12, &seq);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	if ((fd = open(path, O_RDONLY)) >= 0) {
		end = lseek(fd, 0, SEEK_END);
		close(fd);
	}
	ok(err == GW_ERR_IO && journal_seq(j) == 2,
	    "a write cut short is refused (GW_ERR_IO), no sequence taken");
	ok(end == 2 * (JOURNAL_HDR + 12), "nothing of it stays in the file "
	    "(%lld bytes)", (long long)end);
	ok(journal_append(j, "rec4-payload", 12, &seq) == GW_OK && seq == 3,
	    "the next record is kept as 3");
	journal_close(j);
	j = open_append(0);
	ok(j != NULL && rp.n == 3 && rp.seqs[2] == 3 &&
	    strcmp(rp.first[2], "rec4-payload") == 0 && !rp.bad,
	    "replay: 1, 2 and the next one, nothing torn between");
	journal_close(j);
}

/* Through the store: kill -9 with journaled records the database lacks. */

static void
done(struct store_op *op)
{
}

/* A decide() for tests: reserve a fixed amount in EUR if it fits. */
static int
fixed(void *arg, const int64_t *avail, const int *cur, int n,
    int64_t *reserved)
{
	int64_t want = *(int64_t *)arg;

	reserved[0] = want;
	reserved[1] = -1;
	for (int i = 0; i < n; i++)
		if (avail[i] < want)
			return i;
	return -1;
}

static void
spend_init(struct store_spend *sp, const char *id, int64_t *want)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->ledger_id, sizeof(sp->ledger_id), "%s", id);
	snprintf(sp->request_id, sizeof(sp->request_id), "req-%s", id);
	snprintf(sp->team, sizeof(sp->team), "finance");
	sp->ts_ms = 1795000000000LL;
	sp->n_budgets = 1;
	sp->budgets[0].scope = 't';
	snprintf(sp->budgets[0].id, sizeof(sp->budgets[0].id), "finance");
	sp->budgets[0].limit = 1000;
	sp->budgets[0].start_ms = 1790000000000LL;
	sp->budgets[0].end_ms = 1800000000000LL;
	sp->decide = fixed;
	sp->decide_arg = want;
}

static void
reserve_op(struct store_op *op, struct store_spend *sp)
{
	memset(op, 0, sizeof(*op));
	op->type = STORE_RESERVE;
	op->done = done;
	op->spend = sp;
}

static void
settle_op(struct store_op *op, struct store_spend *sp, int64_t cost)
{
	memset(op, 0, sizeof(*op));
	op->type = STORE_AUDIT_APPEND;
	op->done = done;
	snprintf(op->rec.kind, sizeof(op->rec.kind), "request");
	snprintf(op->rec.request_id, sizeof(op->rec.request_id), "%s",
	    sp->request_id);
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	op->rec.completion_tokens = -1;
	sp->settle = 1;
	sp->cost[0] = cost;
	sp->cost[1] = -1;
	op->spend = sp;
}

/* The integer that query q answers on the database file; -1: none. */
static int64_t
sql_int(const char *q)
{
	sqlite3 *h;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, q, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/*
 * The child: a reservation a of 600 committed, then with the database
 * held by another connection (the writer can apply nothing): a settled
 * at 150, b and c reserved at 300 each, all journaled; then kill -9.
 */
static void
crash_child(void)
{
	static struct store_op ops[4];
	static struct store_spend a, b, c;
	static int64_t w600 = 600, w300 = 300;
	struct store_conf conf = { 0 };
	struct store *st;
	sqlite3 *h;

	if (store_open(db, &conf, NULL, &st) != GW_OK)
		_exit(2);
	spend_init(&a, "a", &w600);
	reserve_op(&ops[0], &a);
	store_submit(st, &ops[0]);
	store_flush(st);
	if (ops[0].err != GW_OK || a.refused != -1)
		_exit(3);
	if (sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		_exit(4);
	settle_op(&ops[1], &a, 150);
	store_submit(st, &ops[1]);
	spend_init(&b, "b", &w300);
	reserve_op(&ops[2], &b);
	store_submit(st, &ops[2]);
	spend_init(&c, "c", &w300);
	reserve_op(&ops[3], &c);
	store_submit(st, &ops[3]);
	if (b.refused != -1 || c.refused != -1 || b.budgets[0].used != 450 ||
	    c.budgets[0].used != 750)
		_exit(5);
	usleep(50000);	/* the writer tries, and waits for the lock */
	kill(getpid(), SIGKILL);
	_exit(6);
}

static void
test_kill_replay(void)
{
	static struct store_op op;
	static struct store_spend d, e;
	static int64_t w300 = 300, w250 = 250;
	struct store_conf conf = { 0 };
	struct store *st;
	int status = 0;
	pid_t pid;

	fresh("kill");
	pid = fork();
	if (pid == 0)
		crash_child();
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the store killed with journaled records (status %d)", status);
	ok(sql_int("SELECT count(*) FROM ledger") == 1 &&
	    sql_int("SELECT state = 'reserved' FROM ledger WHERE id = 'a'") ==
	    1 && n_files() == 1, "the database lacks them: a alone, open; "
	    "the journal holds them");
	if (store_open(db, &conf, NULL, &st) != GW_OK) {
		ok(0, "reopen");
		return;
	}
	ok(sql_int("SELECT count(*) FROM ledger") == 3 &&
	    sql_int("SELECT cost_eur FROM ledger WHERE id = 'a' AND "
	    "state = 'settled'") == 150 &&
	    sql_int("SELECT sum(cost_eur) FROM ledger WHERE state = "
	    "'charged'") == 600, "reopen replays them: a settled at 150, b "
	    "and c charged in full (interrupted)");
	ok(n_files() == 0, "the replayed journal files are removed");
	spend_init(&d, "d", &w300);
	reserve_op(&op, &d);
	store_submit(st, &op);
	store_flush(st);
	ok(op.err == GW_OK && d.refused == 0 && d.budgets[0].used == 750,
	    "exact spend after the crash: 750 used, 300 more refused");
	spend_init(&e, "e", &w250);
	reserve_op(&op, &e);
	store_submit(st, &op);
	store_flush(st);
	ok(op.err == GW_OK && e.refused == -1 && e.budgets[0].used == 1000,
	    "... and 250 fits exactly");
	store_close(st);
	fresh("kill");
}

static int n_done;

static void
count_done(struct store_op *op)
{
	n_done++;
}

/* storage_sync = full: the ops wait for the journal's fdatasync (on the
 * writer), then are done, kept, and in the database after a close. */
static void
test_full_sync(void)
{
	static struct store_op ops[2];
	static struct store_spend a;
	static int64_t w400 = 400;
	struct store_conf conf = { 0 };
	struct store *st;

	fresh("fsync");
	conf.full_sync = 1;
	if (store_open(db, &conf, NULL, &st) != GW_OK) {
		ok(0, "a store with storage_sync = full");
		return;
	}
	spend_init(&a, "a", &w400);
	reserve_op(&ops[0], &a);
	ops[0].done = count_done;
	store_submit(st, &ops[0]);
	store_flush(st);
	settle_op(&ops[1], &a, 100);
	ops[1].done = count_done;
	store_submit(st, &ops[1]);
	store_flush(st);
	ok(n_done == 2 && ops[0].err == GW_OK && ops[1].err == GW_OK &&
	    a.refused == -1 && a.settled && a.budgets[0].used == 100,
	    "full sync: a reservation and its record kept, each done once");
	store_close(st);
	ok(sql_int("SELECT cost_eur FROM ledger WHERE id = 'a' AND "
	    "state = 'settled'") == 100 && n_files() == 0,
	    "full sync: in the database after the close, no journal file left");
	fresh("fsync");
}

/* storage_sync = full and the journal's fdatasync fails: the
 * reservation fails, and what it reserved is released, in the budget at
 * once and in the ledger (not left open for a restart to charge). */
static void
test_sync_fails(void)
{
	static struct store_op ops[2];
	static struct store_spend a, b;
	static int64_t w600 = 600;
	struct store_conf conf = { 0 };
	struct store *st;

	fresh("syncfail");
	conf.full_sync = 1;
	if (store_open(db, &conf, NULL, &st) != GW_OK) {
		ok(0, "a store with storage_sync = full");
		return;
	}
	spend_init(&a, "a", &w600);
	reserve_op(&ops[0], &a);
	atomic_store(&fail_sync, 1);
	store_submit(st, &ops[0]);
	store_flush(st);
	atomic_store(&fail_sync, 0);
	ok(ops[0].err == GW_ERR_STORAGE, "sync fails: the reservation fails");
	spend_init(&b, "b", &w600);
	reserve_op(&ops[1], &b);
	store_submit(st, &ops[1]);
	store_flush(st);
	ok(ops[1].err == GW_OK && b.refused == -1 && b.budgets[0].used == 600,
	    "sync fails: what it reserved is free again (600 of 1000 used)");
	store_close(st);
	ok(sql_int("SELECT count(*) FROM ledger WHERE id = 'a' AND "
	    "state = 'settled' AND cost_eur = 0") == 1 &&
	    sql_int("SELECT count(*) FROM ledger WHERE state = 'reserved'") ==
	    1, "sync fails: its ledger entry is settled at no cost, not open");
	if (store_open(db, &conf, NULL, &st) == GW_OK)
		store_close(st);
	ok(sql_int("SELECT count(*) FROM ledger WHERE id = 'a' AND "
	    "cost_eur = 0 AND state = 'settled'") == 1,
	    "sync fails: a restart charges nothing for it");
	fresh("syncfail");
}

int
main(void)
{
	char crc[] = "123456789";

	unsigned char v[48];
	uint32_t parts;

	ok(journal_crc32c(0, crc, 9) == 0xe3069283, "CRC-32C check value");
	/* RFC 3720 B.4's vectors: whole eight-byte words. */
	memset(v, 0, 32);
	ok(journal_crc32c(0, v, 32) == 0x8a9136aa, "CRC-32C of 32 zeros");
	memset(v, 0xff, 32);
	ok(journal_crc32c(0, v, 32) == 0x62a8ab43, "CRC-32C of 32 0xff");
	for (int i = 0; i < 32; i++)
		v[i] = (unsigned char)i;
	ok(journal_crc32c(0, v, 32) == 0x46dd794e, "CRC-32C of 0..31");
	/* Continued over unaligned pieces: the same as at once. */
	for (int i = 0; i < 48; i++)
		v[i] = (unsigned char)(i * 37 + 11);
	parts = journal_crc32c(journal_crc32c(journal_crc32c(0, v, 3),
	    v + 3, 21), v + 24, 24);
	ok(parts == journal_crc32c(0, v, 48), "CRC-32C continued over "
	    "unaligned pieces is the CRC of the whole");
	test_replay();
	test_mapped();
	test_torn();
	test_crc();
	test_full();
	test_write_fails();
	test_kill_replay();
	test_full_sync();
	test_sync_fails();
	fresh("replay");
	fresh("applied");
	fresh("torn");
	fresh("crc");
	fresh("full");
	fresh("efbig");
	return tap_done();
}
