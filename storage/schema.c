/* The SQLite schema: the migrations, one per version, in order. */
#include "storage/schema.h"
#include "storage/sql.h"

/* Each migration moves user_version from its index to index + 1. */
static const char *const migrations[] = {
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES('keys_version', 1);"
	"CREATE TABLE teams("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" policy TEXT NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE keys("
	" id TEXT PRIMARY KEY,"
	" team_id INTEGER NOT NULL REFERENCES teams(id),"
	" name TEXT NOT NULL,"
	" hmac BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" revoked_at INTEGER);"
	"CREATE TABLE requests("
	" id INTEGER PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" key_id TEXT,"
	" team TEXT,"
	" method TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" model TEXT,"
	" upstream TEXT,"
	" status INTEGER NOT NULL,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" latency_us INTEGER NOT NULL,"
	" error TEXT,"
	" streamed INTEGER NOT NULL);"
	"CREATE INDEX requests_ts ON requests(ts);",
	/* 2: personal data found, as types and counts ("EMAIL:2,IBAN:1"). */
	"ALTER TABLE requests ADD COLUMN pii TEXT;",
	/* 3: budgets and rate limits; the spend ledger. Money is in
	 * micro-units (10^-6 EUR or USD); currency 0 EUR, 1 USD; period 0
	 * daily, 1 monthly, 2 total (calendar periods in UTC). */
	"ALTER TABLE teams ADD COLUMN budget INTEGER;"
	"ALTER TABLE teams ADD COLUMN budget_currency INTEGER;"
	"ALTER TABLE teams ADD COLUMN budget_period INTEGER;"
	"ALTER TABLE teams ADD COLUMN rpm INTEGER;"
	"ALTER TABLE teams ADD COLUMN tpm INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget_currency INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget_period INTEGER;"
	"ALTER TABLE keys ADD COLUMN rpm INTEGER;"
	"ALTER TABLE keys ADD COLUMN tpm INTEGER;"
	"CREATE TABLE ledger("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" team TEXT,"
	" key_id TEXT,"
	" model TEXT,"
	" upstream TEXT,"
	" state TEXT NOT NULL CHECK(state IN ('reserved','settled','charged')),"
	" reserved_eur INTEGER,"
	" reserved_usd INTEGER,"
	" cost_eur INTEGER,"
	" cost_usd INTEGER,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" settled_at INTEGER) WITHOUT ROWID;"
	/* Two indexes only: every index is pages written per request. The
	 * global budget's sum and the crash recovery scan the table, once
	 * per period and once per start. */
	"CREATE INDEX ledger_team ON ledger(team, ts);"
	"CREATE INDEX ledger_key ON ledger(key_id, ts);",
	/* 4: model globs per key (comma-separated); where each request went
	 * (the upstream's region) and why (the routing decision). */
	"ALTER TABLE keys ADD COLUMN models TEXT;"
	"ALTER TABLE keys ADD COLUMN models_deny TEXT;"
	"ALTER TABLE requests ADD COLUMN region TEXT;"
	"ALTER TABLE requests ADD COLUMN route TEXT;",
	/* 5: the audit log, a hash chain (storage/chain.h) with signed
	 * checkpoints; it replaces the requests table, whose rows
	 * audit_open() moves into the chain. What a request is known by
	 * before it is forwarded is on its ledger entry, so that a crash
	 * leaves enough for its "interrupted" record. */
	"CREATE TABLE audit("
	" seq INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" request_id TEXT,"
	" key_id TEXT,"
	" team TEXT,"
	" client TEXT,"
	" method TEXT,"
	" path TEXT,"
	" model TEXT,"
	" upstream TEXT,"
	" region TEXT,"
	" policy TEXT,"
	" verdicts TEXT,"
	" route TEXT,"
	" pii TEXT,"
	" zdr INTEGER NOT NULL,"
	" streamed INTEGER NOT NULL,"
	" status INTEGER NOT NULL,"
	" error TEXT,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" cost_eur INTEGER,"
	" cost_usd INTEGER,"
	" latency_us INTEGER NOT NULL,"
	" request_hash BLOB,"
	" response_hash BLOB,"
	" prev BLOB NOT NULL,"
	" hash BLOB NOT NULL,"
	" subject BLOB);"	/* not chained: erasable */
	"CREATE INDEX audit_ts ON audit(ts);"
	"CREATE INDEX audit_subject ON audit(subject) WHERE subject IS NOT "
	"NULL;"
	"CREATE TABLE audit_checkpoints("
	" seq INTEGER PRIMARY KEY,"
	" head BLOB NOT NULL,"
	" ts INTEGER NOT NULL,"
	" sig BLOB NOT NULL);"
	"ALTER TABLE ledger ADD COLUMN method TEXT;"
	"ALTER TABLE ledger ADD COLUMN path TEXT;"
	"ALTER TABLE ledger ADD COLUMN client TEXT;",
	/* 6: objects stored upstream and the team that created them through
	 * eugate (storage/objects.c). */
	"CREATE TABLE objects("
	" kind TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" parent TEXT,"		/* a document's library */
	" team TEXT NOT NULL,"
	" upstream TEXT,"
	" request_id TEXT,"
	" created INTEGER NOT NULL,"
	" subject BLOB,"
	" PRIMARY KEY(kind, id)) WITHOUT ROWID;"
	"CREATE INDEX objects_team ON objects(team);"
	"CREATE INDEX objects_subject ON objects(subject) WHERE subject IS NOT "
	"NULL;"
	/* A deleted team keeps its row (its keys' history), renamed out of
	 * the way: "NAME~deleted~ID". */
	"ALTER TABLE teams ADD COLUMN deleted_at INTEGER;",
	/* 7: keys' lives (who made them, expiry, last use, IP allowlist,
	 * the secret a rotation replaced and until when it works) and admin
	 * principals (storage/admins.c): tokens stored as HMACs like keys,
	 * a role each, team admins bound to teams. A revoked admin keeps
	 * its row (evidence); its name may be given again. */
	"ALTER TABLE keys ADD COLUMN created_by TEXT;"
	"ALTER TABLE keys ADD COLUMN expires_at INTEGER;"
	"ALTER TABLE keys ADD COLUMN last_used_at INTEGER;"
	"ALTER TABLE keys ADD COLUMN allow_ips TEXT;"
	"ALTER TABLE keys ADD COLUMN prev_hmac BLOB;"
	"ALTER TABLE keys ADD COLUMN prev_until INTEGER;"
	"CREATE TABLE admins("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK(role IN ('owner','admin','team-admin',"
	"'auditor')),"
	" hmac BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" created_by TEXT NOT NULL,"
	" rotated_at INTEGER,"
	" revoked_at INTEGER);"
	"CREATE UNIQUE INDEX admins_active ON admins(name) WHERE revoked_at IS "
	"NULL;"
	"CREATE TABLE admin_teams("
	" admin_id INTEGER NOT NULL REFERENCES admins(id),"
	" team_id INTEGER NOT NULL REFERENCES teams(id),"
	" PRIMARY KEY(admin_id, team_id)) WITHOUT ROWID;"
	"INSERT INTO meta VALUES('admins_version', 1);",
	/* 8: the ledger's state check without an IN list: SQLite codes
	 * "state IN (...)" in a CHECK as an ephemeral table, made and
	 * dropped at every INSERT and UPDATE of a row (~9,000
	 * instructions each); comparisons cost a few dozen. The table is
	 * rebuilt (a CHECK can not be altered), same columns, same
	 * indexes. */
	"CREATE TABLE ledger_new("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" team TEXT,"
	" key_id TEXT,"
	" model TEXT,"
	" upstream TEXT,"
	" state TEXT NOT NULL CHECK(state = 'reserved' OR state = 'settled'"
	" OR state = 'charged'),"
	" reserved_eur INTEGER,"
	" reserved_usd INTEGER,"
	" cost_eur INTEGER,"
	" cost_usd INTEGER,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" settled_at INTEGER,"
	" method TEXT,"
	" path TEXT,"
	" client TEXT) WITHOUT ROWID;"
	"INSERT INTO ledger_new SELECT id, request_id, ts, team, key_id, model,"
	" upstream, state, reserved_eur, reserved_usd, cost_eur, cost_usd,"
	" prompt_tokens, completion_tokens, settled_at, method, path, client"
	" FROM ledger;"
	"DROP TABLE ledger;"
	"ALTER TABLE ledger_new RENAME TO ledger;"
	"CREATE INDEX ledger_team ON ledger(team, ts);"
	"CREATE INDEX ledger_key ON ledger(key_id, ts);",
	/* 9: the intent journal (storage/journal.h): the last sequence of
	 * each lane applied, written in the transaction that applies it (a
	 * table of its own: one page, updated in place). */
	"CREATE TABLE journal(lane INTEGER PRIMARY KEY, seq INTEGER NOT NULL);",
};

enum gw_err
schema_migrate(sqlite3 *db)
{
	return sql_migrate(db, migrations,
	    sizeof(migrations) / sizeof(migrations[0]));
}
