/*
 * The audit log's write cost: N request records appended through the
 * real store (writer thread, WAL, group commit in batches of 16, a signed
 * checkpoint every 1000) on a temporary file; CPU microseconds per record
 * of the whole process (both threads), the hashing part alone, and bytes
 * per record on disk. Medians of repetitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/chain.h"
#include "storage/store.h"

#define N 20000
#define BATCH 16
#define REPS 5

static double
cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void
noop(struct store_op *op)
{
}

/* A typical record: a chat request with PII found and a routing note. */
static void
fill(struct store_request *r, int i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->kind, sizeof(r->kind), "request");
	snprintf(r->request_id, sizeof(r->request_id), "8f3a9c2e1d7b4a60%08x",
	    (unsigned)i);
	r->ts_ms = 1795000000000LL + i;
	snprintf(r->key_id, sizeof(r->key_id), "l366Yn7SD5KA");
	snprintf(r->team, sizeof(r->team), "finance");
	snprintf(r->client, sizeof(r->client), "10.1.2.3:51380");
	snprintf(r->method, sizeof(r->method), "POST");
	snprintf(r->path, sizeof(r->path), "/v1/chat/completions");
	snprintf(r->model, sizeof(r->model), "mistral-small-latest");
	snprintf(r->upstream, sizeof(r->upstream), "mistral-eu");
	snprintf(r->region, sizeof(r->region), "eu");
	snprintf(r->policy, sizeof(r->policy), "default");
	snprintf(r->verdicts, sizeof(r->verdicts), "access=pass pii=modified");
	snprintf(r->route, sizeof(r->route), "regions=eu");
	snprintf(r->pii, sizeof(r->pii), "EMAIL:1,PHONE:1");
	r->status = 200;
	r->prompt_tokens = 310;
	r->completion_tokens = 120;
	r->cost[0] = 84;
	r->cost[1] = 97;
	r->latency_us = 412000;
	r->has_req_hash = r->has_resp_hash = 1;
	memset(r->req_hash, i & 0xff, 32);
	memset(r->resp_hash, (i >> 8) & 0xff, 32);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	static struct store_op ops[BATCH];
	double append[REPS], hash[REPS], bytes[REPS];
	char dir[] = "/tmp/eugate-audit-bench-XXXXXX", db[128], key[128],
	    path[160];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/a.db", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	for (int rep = 0; rep < REPS; rep++) {
		struct store_conf conf = { .audit_key = key,
			.checkpoint_every = 1000 };
		struct store *st;
		struct stat sb;
		struct store_request r;
		unsigned char prev[32] = { 0 }, h[32];
		double t0;

		unlink(db);
		snprintf(path, sizeof(path), "%s-wal", db);
		unlink(path);
		if (store_open(db, &conf, NULL, &st) != GW_OK)
			return 1;
		t0 = cpu_us();
		for (int i = 0; i < N; i += BATCH) {
			for (int j = 0; j < BATCH; j++) {
				memset(&ops[j], 0, sizeof(ops[j]));
				ops[j].type = STORE_AUDIT_APPEND;
				ops[j].done = noop;
				fill(&ops[j].rec, i + j);
				store_submit(st, &ops[j]);
			}
			store_flush(st);
		}
		append[rep] = (cpu_us() - t0) / N;
		store_close(st);	/* checkpoints the WAL into the file */
		stat(db, &sb);
		bytes[rep] = (double)sb.st_size / N;
		fill(&r, 1);
		t0 = cpu_us();
		for (int i = 0; i < N; i++) {
			r.ts_ms++;
			chain_hash(&r, i + 1, prev, h);
			memcpy(prev, h, 32);
		}
		hash[rep] = (cpu_us() - t0) / N;
	}
	qsort(append, REPS, sizeof(double), cmp);
	qsort(hash, REPS, sizeof(double), cmp);
	qsort(bytes, REPS, sizeof(double), cmp);
	printf("audit append (store op, batches of %d, both threads): "
	    "%.1f us CPU per record\n", BATCH, append[REPS / 2]);
	printf("  of which canonical form + SHA-256 link: %.2f us\n",
	    hash[REPS / 2]);
	printf("size on disk: %.0f bytes per record (%d records, indexes "
	    "included)\n", bytes[REPS / 2], N);
	unlink(db);
	unlink(key);
	rmdir(dir);
	return 0;
}
