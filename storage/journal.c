/* The intent journal: records appended by the loop, applied by the writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/journal.h"

/* Bytes of the current file mapped at once: records are copied into the
 * page cache through this window instead of a pwritev each (a process
 * crash keeps them all the same); its pages count in the process's RSS. */
#define JOURNAL_WINDOW (128 * 1024)

/* A file the loop has finished, not yet wholly committed. */
struct jfile {
	uint64_t first, last;	/* its records' sequences */
	uint64_t end;		/* its size */
};

struct journal {
	char dir[PATH_MAX];
	int lane;
	int lock_fd;		/* flock'ed while the lane is this process's */
	int dir_fd;
	int full_sync;

	/* The loop's side. */
	int fd;			/* the file appended to; -1: none yet */
	uint64_t cur_first;	/* its first sequence; 0: none */
	uint64_t off;		/* its size */
	uint64_t seq;		/* the last sequence appended */
	uint64_t alloc;		/* bytes allocated to it (0: it is written
				 * with pwritev, not through win) */
	unsigned char *win;	/* a window of it, mapped, or NULL */
	uint64_t win_off;
	size_t win_len;

	/* Shared, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t applied_cv;
	struct jfile ring[JOURNAL_FILES];	/* finished files, in order */
	unsigned head, n_ring;
	uint64_t pub_first, pub_off, pub_seq;	/* the current file */
	uint64_t applied;	/* committed in the database */
	uint64_t synced;	/* full_sync: on disk */
	int new_file;		/* a file made since the last sync */

	/* The writer's side: where it reads, and where it last committed. */
	int rfd;
	uint64_t r_first, r_off, r_seq;
	uint64_t c_first, c_off, c_seq;
	uint64_t rd_seq;	/* r_seq, under lock */
	unsigned char *rbuf;
	size_t rcap;
};

static void file_close(struct journal *j);

/* CRC-32C, reflected polynomial 0x82f63b78. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint32_t
crc32c_table_run(uint32_t crc, const unsigned char *b, size_t n)
{
	while (n-- > 0)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* SSE 4.2's crc32 instruction: the same CRC, eight bytes at a time (the
 * record's CRC was a byte-at-a-time loop on the loop's path). */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw_run(uint32_t crc, const unsigned char *b, size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, b += 8) {
		uint64_t v;

		memcpy(&v, b, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (n-- > 0)
		crc = __builtin_ia32_crc32qi(crc, *b++);
	return crc;
}
#endif

uint32_t
journal_crc32c(uint32_t crc, const void *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_hw_run(~crc, p, n);
#endif
	return ~crc32c_table_run(~crc, p, n);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
file_name(const struct journal *j, int lane, uint64_t first, char *out,
    size_t len)
{
	snprintf(out, len, "%s/L%d.%016" PRIx64, j->dir, lane, first);
}

int
journal_next(const unsigned char *buf, size_t n, size_t *off, int crc,
    struct journal_rec *rec)
{
	const unsigned char *h;
	uint32_t len;

	if (*off >= n)
		return 0;
	if (n - *off < JOURNAL_HDR)
		return -1;
	h = buf + *off;
	len = get_u32(h);
	if (len == 0 || len > JOURNAL_REC_MAX || n - *off - JOURNAL_HDR < len)
		return -1;
	rec->seq = get_u64(h + 8);
	rec->p = h + JOURNAL_HDR;
	rec->n = len;
	if (crc && journal_crc32c(journal_crc32c(0, h + 8, 8), rec->p, len) !=
	    get_u32(h + 4))
		return -1;
	*off += JOURNAL_HDR + len;
	return 1;
}

/* The sequences of lane's files in dir, sorted (*out malloc'ed). */
static enum gw_err
lane_files(struct journal *j, int lane, uint64_t **out, size_t *n)
{
	DIR *d = opendir(j->dir);
	struct dirent *e;
	uint64_t *v = NULL;
	size_t cap = 0;
	char prefix[16];
	size_t pl;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return GW_ERR_IO;
	pl = (size_t)snprintf(prefix, sizeof(prefix), "L%d.", lane);
	while ((e = readdir(d)) != NULL) {
		uint64_t first = 0;
		const char *p = e->d_name;
		size_t i;

		if (strncmp(p, prefix, pl) != 0 || strlen(p) != pl + 16)
			continue;
		for (i = pl; i < pl + 16; i++) {
			int c = p[i];
			int x = c >= '0' && c <= '9' ? c - '0' :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

			if (x < 0)
				break;
			first = first << 4 | (uint64_t)x;
		}
		if (i != pl + 16)
			continue;
		if (*n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				return GW_ERR_NOMEM;
			}
			v = nv;
		}
		v[(*n)++] = first;
	}
	closedir(d);
	/* Few files: an insertion sort. */
	for (size_t i = 1; i < *n; i++)
		for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
			uint64_t t = v[k];

			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	*out = v;
	return GW_OK;
}

/* 1 when the n bytes at p are all zero: the allocated end of a file
 * that a crash left before it was trimmed. */
static int
zeros(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Hands the records of one file that the database lacks to cb. */
static enum gw_err
replay_file(struct journal *j, int lane, uint64_t first,
    const struct journal_replay *cb, uint64_t *applied)
{
	char path[PATH_MAX + 32];
	struct journal_rec rec;
	char *data = NULL;
	size_t len = 0, off = 0, from = 0, to = 0;
	uint64_t prev = 0, first_new = 0, last_new = 0;
	enum gw_err err;
	int rc;

	file_name(j, lane, first, path, sizeof(path));
	err = util_read_file(path, JOURNAL_FILE_MAX + JOURNAL_REC_MAX +
	    JOURNAL_HDR, &data, &len);
	if (err == GW_ERR_NOTFOUND)
		return GW_OK;
	if (err != GW_OK) {
		log_error("storage: cannot read the journal file %s",
		    log_q(path));
		return err;
	}
	while ((rc = journal_next((unsigned char *)data, len, &off, 1,
	    &rec)) == 1) {
		if (rec.seq <= prev)
			break;	/* an older life's record: not ours */
		prev = rec.seq;
		if (rec.seq <= *applied) {
			from = to = off;
			continue;
		}
		if (first_new == 0)
			first_new = rec.seq;
		last_new = rec.seq;
		to = off;
	}
	if ((rc != 0 || off < len) && !zeros(data + off, len - off))
		log_warn("storage: journal file %s ends with %zu bytes that "
		    "are not a whole record (a write cut by a power loss?)",
		    log_q(path), len - off);
	err = GW_OK;
	if (to > from) {
		if (first_new != *applied + 1)
			log_warn("storage: journal lane %d: records %" PRIu64
			    "..%" PRIu64 " are missing (lost with a power "
			    "loss?)", lane, *applied + 1, first_new - 1);
		err = cb->records(cb->arg, lane, (unsigned char *)data + from,
		    to - from);
		if (err == GW_OK) {
			log_info("storage: journal lane %d: records %" PRIu64
			    "..%" PRIu64 " replayed", lane, first_new,
			    last_new);
			*applied = last_new;
		}
	}
	free(data);
	return err;
}

/* Replays every file of a lane whose lock this process holds, then
 * removes them; *applied: the lane's last sequence in the database. */
static enum gw_err
replay_lane(struct journal *j, int lane, const struct journal_replay *cb,
    uint64_t *applied)
{
	char path[PATH_MAX + 32];
	uint64_t *files;
	size_t n;
	enum gw_err err = cb->applied(cb->arg, lane, applied);

	if (err != GW_OK)
		return err;
	err = lane_files(j, lane, &files, &n);
	if (err != GW_OK)
		return err;
	for (size_t i = 0; i < n && err == GW_OK; i++)
		err = replay_file(j, lane, files[i], cb, applied);
	for (size_t i = 0; i < n && err == GW_OK; i++) {
		file_name(j, lane, files[i], path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT) {
			log_error("storage: cannot remove %s", log_q(path));
			err = GW_ERR_IO;
		}
	}
	free(files);
	return err;
}

/* Takes lane's lock when no process holds it: its fd, -1 when held,
 * -2 on an error. */
static int
lane_lock(struct journal *j, int lane)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/L%d.lock", j->dir, lane);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("storage: cannot open %s", log_q(path));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	return errno == EWOULDBLOCK ? -1 : -2;
}

enum gw_err
journal_open(const char *db, int full_sync, const struct journal_replay *cb,
    struct journal **out)
{
	struct journal *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;
	enum gw_err err = GW_OK;

	if (j == NULL)
		return GW_ERR_NOMEM;
	j->lane = -1;
	j->lock_fd = j->dir_fd = j->fd = j->rfd = -1;
	j->full_sync = full_sync;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->applied_cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((size_t)snprintf(j->dir, sizeof(j->dir), "%s.intents", db) >=
	    sizeof(j->dir)) {
		journal_close(j);
		return GW_ERR_INVAL;
	}
	if ((mkdir(j->dir, 0700) != 0 && errno != EEXIST) ||
	    (j->dir_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0) {
		log_error("storage: cannot make the journal directory %s",
		    log_q(j->dir));
		journal_close(j);
		return GW_ERR_IO;
	}
	for (int lane = 0; lane < JOURNAL_LANES && err == GW_OK; lane++) {
		uint64_t applied = 0;
		int fd = lane_lock(j, lane);

		if (fd == -1)
			continue;	/* a running process's */
		if (fd < 0) {
			err = GW_ERR_IO;
			break;
		}
		err = replay_lane(j, lane, cb, &applied);
		if (err == GW_OK && j->lane < 0) {
			j->lane = lane;
			j->lock_fd = fd;
			j->seq = j->pub_seq = j->applied = j->synced =
			    j->r_seq = j->c_seq = j->rd_seq = applied;
		} else {
			close(fd);
		}
	}
	if (err == GW_OK && j->lane < 0) {
		log_error("storage: %d processes have the database open: no "
		    "journal lane is free", JOURNAL_LANES);
		err = GW_ERR_LIMIT;
	}
	if (err != GW_OK) {
		journal_close(j);
		return err;
	}
	*out = j;
	return GW_OK;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		file_close(j);
	if (j->rfd >= 0)
		close(j->rfd);
	if (j->lane >= 0 && j->applied == j->seq) {
		/* Everything is in the database: no file is needed. */
		char path[PATH_MAX + 32];

		for (unsigned i = 0; i < j->n_ring; i++) {
			file_name(j, j->lane, j->ring[(j->head + i) %
			    JOURNAL_FILES].first, path, sizeof(path));
			unlink(path);
		}
		if (j->cur_first != 0) {
			file_name(j, j->lane, j->cur_first, path, sizeof(path));
			unlink(path);
		}
	}
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->applied_cv);
	free(j->rbuf);
	free(j);
}

int
journal_lane(const struct journal *j)
{
	return j->lane;
}

uint64_t
journal_seq(const struct journal *j)
{
	return j->seq;
}

/* Loop: unmaps the window; ends the file where its records end. */
static void
win_drop(struct journal *j)
{
	if (j->win != NULL)
		munmap(j->win, j->win_len);
	j->win = NULL;
	j->win_len = 0;
}

static void
file_close(struct journal *j)
{
	win_drop(j);
	if (j->alloc > j->off && ftruncate(j->fd, (off_t)j->off) != 0)
		log_warn("storage: cannot trim the journal file: %s",
		    strerror(errno));
	close(j->fd);
	j->fd = -1;
	j->alloc = 0;
}

/* Loop: the current file is done; the writer finds it in the ring. */
static void
file_finish(struct journal *j)
{
	struct jfile *f;

	file_close(j);
	if (j->off > 0) {
		pthread_mutex_lock(&j->lock);
		f = &j->ring[(j->head + j->n_ring) % JOURNAL_FILES];
		f->first = j->cur_first;
		f->last = j->seq;
		f->end = j->off;
		j->n_ring++;
		pthread_mutex_unlock(&j->lock);
	}
	j->cur_first = 0;
	j->off = 0;
}

/* Loop: a new file for the records from seq + 1, the first want bytes
 * long; its blocks are allocated now when the file system can (records
 * then go through the window and can not meet a full disk), else it is
 * written with pwritev. */
static enum gw_err
file_start(struct journal *j, size_t want)
{
	uint64_t size = want > JOURNAL_FILE_MAX ? want : JOURNAL_FILE_MAX;
	char path[PATH_MAX + 32];
	int full;

	pthread_mutex_lock(&j->lock);
	full = j->n_ring >= JOURNAL_FILES - 1;
	pthread_mutex_unlock(&j->lock);
	if (full)
		return GW_ERR_LIMIT;
	file_name(j, j->lane, j->seq + 1, path, sizeof(path));
	j->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return GW_ERR_IO;
	j->alloc = posix_fallocate(j->fd, 0, (off_t)size) == 0 ? size : 0;
	if (j->alloc == 0 && ftruncate(j->fd, 0) != 0) {
		close(j->fd);
		j->fd = -1;
		return GW_ERR_IO;
	}
	j->cur_first = j->seq + 1;
	j->off = 0;
	pthread_mutex_lock(&j->lock);
	j->new_file = 1;
	pthread_mutex_unlock(&j->lock);
	return GW_OK;
}

/* Loop: maps a window of the current file that holds the next want
 * bytes. Returns 0, or -1 (then the record goes by pwritev). */
static int
win_fit(struct journal *j, size_t want)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), start, len;
	void *w;

	if (j->win != NULL && j->off >= j->win_off &&
	    j->off + want <= j->win_off + j->win_len)
		return 0;
	win_drop(j);
	start = j->off - j->off % page;
	len = j->off - start + want;
	if (len < JOURNAL_WINDOW)
		len = JOURNAL_WINDOW;
	if (start + len > j->alloc)
		len = j->alloc - start;
	w = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd,
	    (off_t)start);
	if (w == MAP_FAILED)
		return -1;
	j->win = w;
	j->win_off = start;
	j->win_len = (size_t)len;
	return 0;
}

enum gw_err
journal_append(struct journal *j, const void *p, size_t n, uint64_t *seq)
{
	unsigned char h[JOURNAL_HDR];
	struct iovec iov[2];
	size_t want = JOURNAL_HDR + n;
	enum gw_err err;
	ssize_t w;

	if (n == 0 || n > JOURNAL_REC_MAX)
		return GW_ERR_LIMIT;
	if (j->fd >= 0 && j->off > 0 && j->off + want > JOURNAL_FILE_MAX)
		file_finish(j);
	if (j->fd < 0) {
		err = file_start(j, want);
		if (err != GW_OK)
			return err;
	}
	put_u32(h, (uint32_t)n);
	put_u64(h + 8, j->seq + 1);
	put_u32(h + 4, journal_crc32c(journal_crc32c(0, h + 8, 8), p, n));
	if (j->off + want <= j->alloc && win_fit(j, want) == 0) {
		memcpy(j->win + (j->off - j->win_off), h, JOURNAL_HDR);
		memcpy(j->win + (j->off - j->win_off) + JOURNAL_HDR, p, n);
		goto kept;
	}
	iov[0].iov_base = h;
	iov[0].iov_len = JOURNAL_HDR;
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = n;
	do
		w = pwritev(j->fd, iov, 2, (off_t)j->off);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)want) {
		int e = w < 0 ? errno : ENOSPC;

		/* Nothing of the record may stay: a torn one would end the
		 * file for replay. When it can not be cut off, the file ends
		 * here and the next record starts another. */
		if (w > 0 && ftruncate(j->fd, (off_t)j->off) != 0)
			file_finish(j);
		errno = e;
		return GW_ERR_IO;
	}
kept:
	j->off += want;
	j->seq++;
	*seq = j->seq;
	pthread_mutex_lock(&j->lock);
	j->pub_first = j->cur_first;
	j->pub_off = j->off;
	j->pub_seq = j->seq;
	pthread_mutex_unlock(&j->lock);
	return GW_OK;
}

/* Under lock: the finished file that starts at first, or NULL. */
static struct jfile *
ring_find(struct journal *j, uint64_t first)
{
	for (unsigned i = 0; i < j->n_ring; i++) {
		struct jfile *f = &j->ring[(j->head + i) % JOURNAL_FILES];

		if (f->first == first)
			return f;
	}
	return NULL;
}

/* Under lock: the first file after first (0: the oldest), or 0. */
static uint64_t
next_file(struct journal *j, uint64_t first)
{
	for (unsigned i = 0; i < j->n_ring; i++) {
		struct jfile *f = &j->ring[(j->head + i) % JOURNAL_FILES];

		if (f->first > first)
			return f->first;
	}
	return j->pub_first > first ? j->pub_first : 0;
}

static enum gw_err
rbuf_fit(struct journal *j, size_t n)
{
	unsigned char *b;

	if (n <= j->rcap)
		return GW_OK;
	b = realloc(j->rbuf, n);
	if (b == NULL)
		return GW_ERR_NOMEM;
	j->rbuf = b;
	j->rcap = n;
	return GW_OK;
}

/* Writer: reads want bytes of the file being read, from r_off, into
 * rbuf at at; *got: bytes read. */
static enum gw_err
read_at(struct journal *j, size_t at, size_t want, size_t *got)
{
	enum gw_err err = rbuf_fit(j, at + want);
	ssize_t r;

	if (err != GW_OK)
		return err;
	if (j->rfd < 0) {
		char path[PATH_MAX + 32];

		file_name(j, j->lane, j->r_first, path, sizeof(path));
		j->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (j->rfd < 0) {
			log_error("storage: cannot open %s", log_q(path));
			return GW_ERR_IO;
		}
	}
	do
		r = pread(j->rfd, j->rbuf + at, want, (off_t)j->r_off);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		log_error("storage: cannot read the journal");
		return GW_ERR_IO;
	}
	*got = (size_t)r;
	return GW_OK;
}

enum gw_err
journal_read(struct journal *j, size_t max, const unsigned char **buf,
    size_t *n)
{
	size_t got = 0;
	enum gw_err err;

	*buf = j->rbuf;
	*n = 0;
	while (got < max) {
		struct jfile *f = NULL;
		uint64_t end, first;
		size_t want, off, whole;
		struct journal_rec rec;
		uint64_t seq = 0;
		size_t r;

		pthread_mutex_lock(&j->lock);
		if (j->r_first == 0 || ((f = ring_find(j, j->r_first)) ==
		    NULL && j->r_first != j->pub_first)) {
			/* None yet, or the last one read is done. */
			first = next_file(j, j->r_first);
			pthread_mutex_unlock(&j->lock);
			if (first == 0)
				break;
			if (j->rfd >= 0)
				close(j->rfd);
			j->rfd = -1;
			j->r_first = first;
			j->r_off = 0;
			continue;
		}
		end = f != NULL ? f->end : j->pub_off;
		first = next_file(j, j->r_first);
		pthread_mutex_unlock(&j->lock);
		if (j->r_off >= end) {
			if (f == NULL || first == 0)
				break;	/* the current file: all read */
			if (j->rfd >= 0)
				close(j->rfd);
			j->rfd = -1;
			j->r_first = first;
			j->r_off = 0;
			continue;
		}
		want = end - j->r_off;
		if (want > max - got)
			want = max - got;
		if (want < JOURNAL_HDR)
			want = end - j->r_off < JOURNAL_HDR ? end - j->r_off :
			    JOURNAL_HDR;
		err = read_at(j, got, want, &r);
		if (err != GW_OK)
			return err;
		/* Whole records only: the rest is read again next time. */
		off = 0;
		whole = 0;
		while (journal_next(j->rbuf + got, r, &off, 0, &rec) == 1) {
			whole = off;
			seq = rec.seq;
		}
		if (whole == 0 && got == 0 && r >= JOURNAL_HDR) {
			/* One record longer than max: read it whole. */
			want = JOURNAL_HDR + get_u32(j->rbuf);
			if (want <= JOURNAL_HDR + JOURNAL_REC_MAX &&
			    want <= end - j->r_off) {
				err = read_at(j, 0, want, &r);
				if (err != GW_OK)
					return err;
				off = 0;
				if (journal_next(j->rbuf, r, &off, 0, &rec) ==
				    1) {
					whole = off;
					seq = rec.seq;
				}
			}
		}
		if (whole == 0) {
			if (got > 0)
				break;
			log_error("storage: the journal holds a record that "
			    "can not be read at %" PRIu64, j->r_off);
			return GW_ERR_IO;
		}
		got += whole;
		j->r_off += whole;
		j->r_seq = seq;
	}
	pthread_mutex_lock(&j->lock);
	j->rd_seq = j->r_seq;
	pthread_mutex_unlock(&j->lock);
	*buf = j->rbuf;
	*n = got;
	return GW_OK;
}

void
journal_commit(struct journal *j, uint64_t seq)
{
	char path[PATH_MAX + 32];

	j->c_first = j->r_first;
	j->c_off = j->r_off;
	j->c_seq = j->r_seq;
	pthread_mutex_lock(&j->lock);
	j->applied = seq;
	while (j->n_ring > 0) {
		struct jfile *f = &j->ring[j->head];

		if (f->last > seq || (f->first == j->r_first &&
		    j->r_off < f->end))
			break;
		file_name(j, j->lane, f->first, path, sizeof(path));
		if (unlink(path) != 0)
			log_warn("storage: cannot remove %s", log_q(path));
		j->head = (j->head + 1) % JOURNAL_FILES;
		j->n_ring--;
	}
	pthread_cond_broadcast(&j->applied_cv);
	pthread_mutex_unlock(&j->lock);
}

void
journal_rewind(struct journal *j)
{
	if (j->rfd >= 0 && j->r_first != j->c_first) {
		close(j->rfd);
		j->rfd = -1;
	}
	j->r_first = j->c_first;
	j->r_off = j->c_off;
	j->r_seq = j->c_seq;
	pthread_mutex_lock(&j->lock);
	j->rd_seq = j->r_seq;
	pthread_mutex_unlock(&j->lock);
}

enum gw_err
journal_sync(struct journal *j, uint64_t *seq)
{
	uint64_t files[JOURNAL_FILES + 1], target, synced;
	size_t n = 0;
	int dir;
	enum gw_err err = GW_OK;

	pthread_mutex_lock(&j->lock);
	target = j->pub_seq;
	synced = j->synced;
	for (unsigned i = 0; i < j->n_ring; i++) {
		struct jfile *f = &j->ring[(j->head + i) % JOURNAL_FILES];

		if (f->last > synced)
			files[n++] = f->first;
	}
	if (j->pub_first != 0 && j->pub_seq > synced)
		files[n++] = j->pub_first;
	dir = j->new_file;
	j->new_file = 0;
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n && err == GW_OK; i++) {
		char path[PATH_MAX + 32];
		int fd;

		file_name(j, j->lane, files[i], path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fdatasync(fd) != 0)
			err = GW_ERR_IO;
		if (fd >= 0)
			close(fd);
	}
	if (err == GW_OK && dir && fsync(j->dir_fd) != 0)
		err = GW_ERR_IO;
	if (err != GW_OK) {
		log_error("storage: cannot sync the journal: %s",
		    strerror(errno));
		pthread_mutex_lock(&j->lock);
		j->new_file |= dir;
		pthread_mutex_unlock(&j->lock);
		return err;
	}
	pthread_mutex_lock(&j->lock);
	j->synced = target;
	pthread_mutex_unlock(&j->lock);
	*seq = target;
	return GW_OK;
}

uint64_t
journal_applied(struct journal *j)
{
	uint64_t v;

	pthread_mutex_lock(&j->lock);
	v = j->applied;
	pthread_mutex_unlock(&j->lock);
	return v;
}

int
journal_pending(struct journal *j)
{
	int v;

	pthread_mutex_lock(&j->lock);
	v = j->pub_seq > j->rd_seq;
	pthread_mutex_unlock(&j->lock);
	return v;
}

int
journal_wait(struct journal *j, uint64_t seq, int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (j->applied < seq && rc == 0)
		rc = pthread_cond_timedwait(&j->applied_cv, &j->lock, &until);
	rc = j->applied < seq;
	pthread_mutex_unlock(&j->lock);
	return rc;
}
