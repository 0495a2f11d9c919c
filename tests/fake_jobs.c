/* The fake upstream's files, batch jobs, fine-tuning jobs and models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fake_objects_int.h"

/* The base models the fake serves (model cards of type "base"). */
static const char *const base_models[] = { "mistral-small-latest" };

/* -- files ------------------------------------------------------------- */

static json_t *
file_new(struct fake_objects *s, const char *name, const char *purpose,
    const char *sample, const char *source, const char *data, size_t len,
    const char *mime, const char *visibility)
{
	char id[37];
	long lines = 0;
	json_t *o;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' || (i == len - 1 && data[i] != '\n'))
			lines++;
	fo_uuid(id);
	o = json_pack("{s:s, s:s, s:I, s:I, s:o, s:s, s:s, s:s, s:s}", "id",
	    id, "object", "file", "bytes", (json_int_t)len, "created_at",
	    fo_now(), "filename", fo_text(name), "purpose", purpose,
	    "sample_type", sample, "source", source, "visibility", visibility);
	json_object_set_new(o, "num_lines", strcmp(purpose, "ocr") != 0 ?
	    json_integer(lines) : json_null());
	json_object_set_new(o, "mimetype", mime != NULL && mime[0] != '\0' ?
	    fo_text(mime) : json_null());
	json_object_set_new(o, "_content", json_stringn_nocheck(data, len));
	return fo_add(s, FO_FILE, o);
}

void
fo_file_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_part file;
	char purpose[32] = "fine-tune", vis[32] = "workspace";
	json_t *o;

	if (!fo_form_part(c, "file", &file)) {
		fo_invalid(r, "body", "file", "Field required");
		return;
	}
	fo_form_text(c, "purpose", purpose, sizeof(purpose));
	fo_form_text(c, "visibility", vis, sizeof(vis));
	if (strcmp(purpose, "fine-tune") != 0 &&
	    strcmp(purpose, "batch") != 0 && strcmp(purpose, "ocr") != 0) {
		fo_invalid(r, "body", "purpose",
		    "Input should be 'fine-tune', 'batch' or 'ocr'");
		return;
	}
	if (strcmp(vis, "workspace") != 0 && strcmp(vis, "user") != 0) {
		fo_invalid(r, "body", "visibility",
		    "Input should be 'workspace' or 'user'");
		return;
	}
	o = file_new(s, file.filename[0] != '\0' ? file.filename : "upload",
	    purpose, strcmp(purpose, "batch") == 0 ? "batch_request" :
	    strcmp(purpose, "ocr") == 0 ? "ocr_input" : "instruct", "upload",
	    file.data, file.len, file.ctype, vis);
	if (o == NULL)
		fo_full(r);
	else
		fo_json(r, 200, fo_public(o));
}

void
fo_file_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	char purpose[32];
	int by_purpose = fo_query(c->query, "purpose", purpose,
	    sizeof(purpose));
	long total;
	json_t *data;

	if (!fo_paging(c, r, "page_size", 100, 100, 0, &p))
		return;
	data = fo_list(s, FO_FILE, by_purpose ? "purpose" : NULL, purpose, &p,
	    &total);
	fo_json(r, 200, json_pack("{s:o, s:s, s:I}", "data", data, "object",
	    "list", "total", (json_int_t)total));
}

void
fo_file_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *o = fo_find(s, FO_FILE, c->id[0]), *pub;

	if (o == NULL) {
		fo_not_found(r, "file", c->id[0]);
		return;
	}
	pub = fo_public(o);
	json_object_set_new(pub, "deleted", json_false());
	fo_json(r, 200, pub);
}

void
fo_file_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	if (fo_find(s, FO_FILE, c->id[0]) == NULL) {
		fo_not_found(r, "file", c->id[0]);
		return;
	}
	fo_remove(s, FO_FILE, c->id[0]);
	fo_json(r, 200, json_pack("{s:s, s:s, s:b}", "id", c->id[0], "object",
	    "file", "deleted", 1));
}

void
fo_file_content(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *o = fo_find(s, FO_FILE, c->id[0]), *content;
	const char *name;
	char safe[128];
	size_t i;

	if (o == NULL) {
		fo_not_found(r, "file", c->id[0]);
		return;
	}
	content = json_object_get(o, "_content");
	name = json_string_value(json_object_get(o, "filename"));
	for (i = 0; name[i] != '\0' && i < sizeof(safe) - 1; i++)
		safe[i] = name[i] < 0x20 || name[i] == '"' || name[i] == '\\' ?
		    '_' : name[i];
	safe[i] = '\0';
	r->status = 200;
	r->ctype = "application/octet-stream";
	r->len = json_string_length(content);
	r->body = malloc(r->len + 1);
	if (r->body != NULL)
		memcpy(r->body, json_string_value(content), r->len);
	else
		r->len = 0;
	snprintf(r->disposition, sizeof(r->disposition),
	    "attachment; filename=\"%s\"", safe);
}

void
fo_file_url(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	char url[200];
	long hours;

	if (!fo_query_long(c, r, "expiry", 24, 1, 168, &hours))
		return;
	if (fo_find(s, FO_FILE, c->id[0]) == NULL) {
		fo_not_found(r, "file", c->id[0]);
		return;
	}
	snprintf(url, sizeof(url), "https://fake/files/%s/content?expiry=%ld",
	    c->id[0], hours);
	fo_json(r, 200, json_pack("{s:s}", "url", url));
}

/* -- batch jobs -------------------------------------------------------- */

static void
add_line(char **buf, size_t *len, json_t *line)
{
	char *js = json_dumps(line, JSON_COMPACT);
	size_t n = js != NULL ? strlen(js) : 0;
	char *nb = js != NULL ? realloc(*buf, *len + n + 2) : NULL;

	json_decref(line);
	if (nb != NULL) {
		memcpy(nb + *len, js, n);
		nb[*len + n] = '\n';
		*len += n + 1;
		*buf = nb;
	}
	free(js);
}

/* What the model answered one batch request. */
static json_t *
batch_result(const char *endpoint, const char *model, json_t *body)
{
	const char *m = json_string_value(json_object_get(body, "model"));
	char echo[300];
	json_t *usage = json_pack("{s:i, s:i, s:i}", "prompt_tokens", 10,
	    "completion_tokens", 5, "total_tokens", 15);

	if (m == NULL)
		m = model != NULL ? model : "mistral-small-latest";
	if (strstr(endpoint, "embeddings") != NULL)
		return json_pack("{s:s, s:s, s:o, s:[{s:s, s:i, s:[f,f,f]}], "
		    "s:o}", "id", "emb-fake", "object", "list", "model",
		    fo_text(m), "data", "object", "embedding", "index", 0,
		    "embedding", 0.1, 0.2, 0.3, "usage", usage);
	fo_echo_text(body, echo + 6, sizeof(echo) - 6);
	memcpy(echo, "echo: ", 6);
	return json_pack("{s:s, s:s, s:I, s:o, s:[{s:i, s:{s:s, s:o}, s:s}], "
	    "s:o}", "id", "cmpl-fake", "object", "chat.completion", "created",
	    fo_now(), "model", fo_text(m), "choices", "index", 0, "message",
	    "role", "assistant", "content", fo_text(echo), "finish_reason",
	    "stop", "usage", usage);
}

/* Runs a queued job: an output and an error file, the counts. */
static void
batch_run(struct fake_objects *s, json_t *job)
{
	const char *id = json_string_value(json_object_get(job, "id"));
	const char *endpoint = json_string_value(json_object_get(job,
	    "endpoint"));
	const char *model = json_string_value(json_object_get(job, "model"));
	json_t *reqs = json_object_get(job, "_requests"), *q, *outputs;
	json_t *of, *ef;
	char *out = NULL, *err = NULL, name[80];
	size_t ol = 0, el = 0, i;
	json_int_t ok = 0, bad = 0;

	outputs = json_array();
	json_array_foreach(reqs, i, q) {
		json_t *body = json_object_get(q, "body");
		json_t *cid = json_object_get(q, "custom_id");
		char lid[64];

		snprintf(lid, sizeof(lid), "batch-%.8s-%zu", id, i);
		if (json_is_object(body) && json_object_size(body) > 0) {
			json_t *line = json_pack("{s:s, s:O?, s:{s:i, s:o}, "
			    "s:n}", "id", lid, "custom_id", cid, "response",
			    "status_code", 200, "body", batch_result(endpoint,
			    model, body), "error");

			json_array_append(outputs, line);
			add_line(&out, &ol, line);
			ok++;
		} else {
			add_line(&err, &el, json_pack("{s:s, s:O?, s:n, "
			    "s:{s:s, s:s}}", "id", lid, "custom_id", cid,
			    "response", "error", "message",
			    "invalid request body", "code", "3000"));
			bad++;
		}
	}
	snprintf(name, sizeof(name), "batch-%s-output.jsonl", id);
	of = file_new(s, name, "batch", "batch_result", "mistral", out ? out :
	    "", ol, "application/jsonl", "workspace");
	snprintf(name, sizeof(name), "batch-%s-error.jsonl", id);
	ef = file_new(s, name, "batch", "batch_error", "mistral", err ? err :
	    "", el, "application/jsonl", "workspace");
	free(out);
	free(err);
	json_object_set_new(job, "started_at", json_integer(fo_now()));
	json_object_set_new(job, "completed_at", json_integer(fo_now()));
	json_object_set_new(job, "_outputs", outputs);
	if (of == NULL || ef == NULL) {
		json_object_set_new(job, "status", json_string("FAILED"));
		json_object_set_new(job, "errors", json_pack("[{s:s, s:i}]",
		    "message", "the fake upstream's store is full", "count",
		    1));
		return;
	}
	json_object_set_new(job, "status", json_string("SUCCESS"));
	json_object_set(job, "output_file", json_object_get(of, "id"));
	json_object_set(job, "error_file", json_object_get(ef, "id"));
	json_object_set_new(job, "completed_requests", json_integer(ok + bad));
	json_object_set_new(job, "succeeded_requests", json_integer(ok));
	json_object_set_new(job, "failed_requests", json_integer(bad));
}

/* The requests of the input files, one {custom_id, body} a line. */
static int
batch_inputs(struct fake_objects *s, json_t *files, json_t *all,
    struct fake_objects_reply *r)
{
	json_t *fid;
	size_t i;

	json_array_foreach(files, i, fid) {
		json_t *f = json_is_string(fid) ? fo_find(s, FO_FILE,
		    json_string_value(fid)) : NULL, *content;
		const char *p, *end;

		if (f == NULL) {
			fo_not_found(r, "file", json_is_string(fid) ?
			    json_string_value(fid) : "?");
			return 0;
		}
		content = json_object_get(f, "_content");
		p = json_string_value(content);
		end = p + json_string_length(content);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl != NULL ? nl : end;
			json_t *line;

			if (le > p) {
				line = json_loadb(p, (size_t)(le - p), 0, NULL);
				if (!json_is_object(line)) {
					json_decref(line);
					line = json_object();
				}
				json_array_append_new(all, line);
			}
			p = le + 1;
		}
	}
	return 1;
}

void
fo_batch_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *b = c->body, *files, *reqs, *all, *job, *agent;
	const char *endpoint = json_string_value(json_object_get(b,
	    "endpoint"));
	char id[37];

	if (!json_is_object(b) || endpoint == NULL) {
		fo_invalid(r, "body", "endpoint", "Field required");
		return;
	}
	files = json_object_get(b, "input_files");
	reqs = json_object_get(b, "requests");
	agent = json_object_get(b, "agent_id");
	if (!json_is_array(files) && !json_is_array(reqs)) {
		fo_invalid(r, "body", "input_files",
		    "Value error, input_files or requests is required");
		return;
	}
	if (json_is_string(agent) && fo_find(s, FO_AGENT,
	    json_string_value(agent)) == NULL) {
		fo_not_found(r, "agent", json_string_value(agent));
		return;
	}
	all = json_array();
	if (json_is_array(files) && !batch_inputs(s, files, all, r)) {
		json_decref(all);
		return;
	}
	if (json_is_array(reqs))
		json_array_extend(all, reqs);
	fo_uuid(id);
	job = json_pack("{s:s, s:s, s:o, s:O?, s:o, s:O?, s:O?, s:n, s:n, "
	    "s:[], s:n, s:s, s:I, s:I, s:i, s:i, s:i, s:n, s:n, s:o}",
	    "id", id, "object", "batch", "input_files", json_is_array(files) ?
	    json_deep_copy(files) : json_array(), "metadata",
	    json_object_get(b, "metadata"), "endpoint", fo_text(endpoint),
	    "model", json_object_get(b, "model"), "agent_id", agent,
	    "output_file", "error_file", "errors", "outputs", "status",
	    "QUEUED", "created_at", fo_now(), "total_requests",
	    (json_int_t)json_array_size(all), "completed_requests", 0,
	    "succeeded_requests", 0, "failed_requests", 0, "started_at",
	    "completed_at", "_requests", all);
	job = fo_add(s, FO_BATCH, job);
	if (job == NULL)
		fo_full(r);
	else
		fo_json(r, 200, fo_public(job));
}

void
fo_batch_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *job = fo_find(s, FO_BATCH, c->id[0]), *pub;
	const char *st;
	char inl[8];

	if (job == NULL) {
		fo_not_found(r, "batch job", c->id[0]);
		return;
	}
	st = json_string_value(json_object_get(job, "status"));
	if (strcmp(st, "QUEUED") == 0) {
		batch_run(s, job);
	} else if (strcmp(st, "CANCELLATION_REQUESTED") == 0) {
		json_object_set_new(job, "status", json_string("CANCELLED"));
		json_object_set_new(job, "completed_at",
		    json_integer(fo_now()));
	}
	pub = fo_public(job);
	if (fo_query(c->query, "inline", inl, sizeof(inl)) &&
	    strcmp(inl, "true") == 0 && json_object_get(job, "_outputs"))
		json_object_set_new(pub, "outputs", json_deep_copy(
		    json_object_get(job, "_outputs")));
	fo_json(r, 200, pub);
}

void
fo_batch_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;
	json_t *data;

	if (!fo_paging(c, r, "page_size", 100, 100, 0, &p))
		return;
	data = fo_list(s, FO_BATCH, NULL, NULL, &p, &total);
	fo_json(r, 200, json_pack("{s:o, s:s, s:I}", "data", data, "object",
	    "list", "total", (json_int_t)total));
}

void
fo_batch_cancel(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *job = fo_find(s, FO_BATCH, c->id[0]);

	if (job == NULL) {
		fo_not_found(r, "batch job", c->id[0]);
		return;
	}
	if (strcmp(json_string_value(json_object_get(job, "status")),
	    "QUEUED") == 0)
		json_object_set_new(job, "status",
		    json_string("CANCELLATION_REQUESTED"));
	fo_json(r, 200, fo_public(job));
}

void
fo_batch_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	if (fo_find(s, FO_BATCH, c->id[0]) == NULL) {
		fo_not_found(r, "batch job", c->id[0]);
		return;
	}
	fo_remove(s, FO_BATCH, c->id[0]);
	fo_json(r, 200, json_pack("{s:s, s:s, s:b}", "id", c->id[0], "object",
	    "batch", "deleted", 1));
}

/* -- fine-tuning jobs and models --------------------------------------- */

/* The file ids of training_files or validation_files (ids or {file_id}),
 * each an existing file; NULL after a 404. */
static json_t *
ft_files(struct fake_objects *s, json_t *v, struct fake_objects_reply *r)
{
	json_t *ids = json_array(), *e;
	size_t i;

	json_array_foreach(v, i, e) {
		json_t *id = json_is_object(e) ? json_object_get(e, "file_id") :
		    e;

		if (!json_is_string(id) || fo_find(s, FO_FILE,
		    json_string_value(id)) == NULL) {
			fo_not_found(r, "file", json_is_string(id) ?
			    json_string_value(id) : "?");
			json_decref(ids);
			return NULL;
		}
		json_array_append(ids, id);
	}
	return ids;
}

void
fo_ft_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *b = c->body, *train, *valid, *hyper, *job;
	const char *model = json_string_value(json_object_get(b, "model"));
	char id[37];

	if (model == NULL) {
		fo_invalid(r, "body", "model", "Field required");
		return;
	}
	if (json_array_size(json_object_get(b, "training_files")) == 0) {
		fo_invalid(r, "body", "training_files", "Field required");
		return;
	}
	train = ft_files(s, json_object_get(b, "training_files"), r);
	if (train == NULL)
		return;
	valid = ft_files(s, json_object_get(b, "validation_files"), r);
	if (valid == NULL) {
		json_decref(train);
		return;
	}
	hyper = json_object_get(b, "hyperparameters");
	fo_uuid(id);
	job = json_pack("{s:s, s:s, s:b, s:o, s:s, s:s, s:I, s:I, s:o, s:o, "
	    "s:o, s:n, s:O?, s:[], s:n, s:O?, s:[]}", "id", id, "object", "job",
	    "auto_start", !json_is_false(json_object_get(b, "auto_start")),
	    "model", fo_text(model), "status", "QUEUED", "job_type",
	    "completion", "created_at", fo_now(), "modified_at", fo_now(),
	    "training_files", train, "validation_files", valid,
	    "hyperparameters", json_is_object(hyper) ? json_deep_copy(hyper) :
	    json_pack("{s:i, s:f}", "training_steps", 10, "learning_rate",
	    0.0001),
	    "fine_tuned_model", "suffix", json_object_get(b, "suffix"),
	    "integrations", "trained_tokens", "metadata", json_object_get(b,
	    "metadata"), "repositories");
	job = fo_add(s, FO_FTJOB, job);
	if (job == NULL)
		fo_full(r);
	else
		fo_json(r, 200, fo_public(job));
}

/* The job is done: its model appears in /v1/models. */
static void
ft_finish(struct fake_objects *s, json_t *job)
{
	const char *base = json_string_value(json_object_get(job, "model"));
	char id[160], tail[9], day[12];
	time_t now = time(NULL);
	struct tm tm;
	json_t *card;
	size_t i;

	for (i = 0; base[i] != '\0'; i++)
		if (!((base[i] >= 'a' && base[i] <= 'z') || (base[i] >= 'A' &&
		    base[i] <= 'Z') || (base[i] >= '0' && base[i] <= '9') ||
		    base[i] == '-' || base[i] == '.' || base[i] == '_'))
			break;
	if (base[i] != '\0' || i == 0 || i > 64)
		base = "open-mistral-7b";
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	fo_hex(tail, 8);
	snprintf(id, sizeof(id), "ft:%s:%.8s:%s:%s", base, s->org, day, tail);
	card = json_pack("{s:s, s:s, s:I, s:s, s:{s:b, s:b, s:b, s:b, s:b, "
	    "s:b}, s:n, s:n, s:i, s:[], s:n, s:s, s:O, s:s, s:b}", "id", id,
	    "object", "model", "created", fo_now(), "owned_by", s->org,
	    "capabilities", "completion_chat", 1, "completion_fim", 0,
	    "function_calling", 0, "fine_tuning", 1, "vision", 0,
	    "classification", 0, "name", "description", "max_context_length",
	    32768, "aliases", "deprecation", "type", "fine-tuned", "job",
	    json_object_get(job, "id"), "root", base, "archived", 0);
	json_object_set_new(job, "modified_at", json_integer(fo_now()));
	if (fo_add(s, FO_MODEL, card) == NULL) {
		json_object_set_new(job, "status", json_string("FAILED"));
		return;
	}
	json_object_set_new(job, "status", json_string("SUCCESS"));
	json_object_set_new(job, "fine_tuned_model", json_string(id));
	json_object_set_new(job, "trained_tokens", json_integer(1000));
}

void
fo_ft_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *job = fo_find(s, FO_FTJOB, c->id[0]);
	const char *st;

	if (job == NULL) {
		fo_not_found(r, "fine-tuning job", c->id[0]);
		return;
	}
	st = json_string_value(json_object_get(job, "status"));
	if (strcmp(st, "QUEUED") == 0) {
		ft_finish(s, job);
	} else if (strcmp(st, "CANCELLATION_REQUESTED") == 0) {
		json_object_set_new(job, "status", json_string("CANCELLED"));
		json_object_set_new(job, "modified_at", json_integer(fo_now()));
	}
	fo_json(r, 200, fo_public(job));
}

void
fo_ft_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;
	json_t *data;

	if (!fo_paging(c, r, "page_size", 100, 100, 0, &p))
		return;
	data = fo_list(s, FO_FTJOB, NULL, NULL, &p, &total);
	fo_json(r, 200, json_pack("{s:o, s:s, s:I}", "data", data, "object",
	    "list", "total", (json_int_t)total));
}

void
fo_ft_cancel(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *job = fo_find(s, FO_FTJOB, c->id[0]);

	if (job == NULL) {
		fo_not_found(r, "fine-tuning job", c->id[0]);
		return;
	}
	if (strcmp(json_string_value(json_object_get(job, "status")),
	    "QUEUED") == 0)
		json_object_set_new(job, "status",
		    json_string("CANCELLATION_REQUESTED"));
	fo_json(r, 200, fo_public(job));
}

static json_t *
base_card(const char *id)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:{s:b, s:b, s:b, s:b}, s:i, "
	    "s:[], s:s}", "id", id, "object", "model", "created", 1700000000,
	    "owned_by", "mistralai", "capabilities", "completion_chat", 1,
	    "function_calling", 1, "completion_fim", 0, "fine_tuning", 1,
	    "max_context_length", 32768, "aliases", "type", "base");
}

static int
is_base(const char *id)
{
	for (size_t i = 0; i < sizeof(base_models) / sizeof(*base_models); i++)
		if (strcmp(id, base_models[i]) == 0)
			return 1;
	return 0;
}

void
fo_model_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *data = json_array(), *m;
	size_t i;

	for (i = 0; i < sizeof(base_models) / sizeof(*base_models); i++)
		json_array_append_new(data, base_card(base_models[i]));
	json_array_foreach(s->kind[FO_MODEL], i, m)
		json_array_append_new(data, fo_public(m));
	fo_json(r, 200, json_pack("{s:s, s:o}", "object", "list", "data",
	    data));
}

void
fo_model_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *m = fo_find(s, FO_MODEL, c->id[0]);

	if (m != NULL)
		fo_json(r, 200, fo_public(m));
	else if (is_base(c->id[0]))
		fo_json(r, 200, base_card(c->id[0]));
	else
		fo_not_found(r, "model", c->id[0]);
}

void
fo_model_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	if (fo_find(s, FO_MODEL, c->id[0]) != NULL) {
		fo_remove(s, FO_MODEL, c->id[0]);
		fo_json(r, 200, json_pack("{s:s, s:s, s:b}", "id", c->id[0],
		    "object", "model", "deleted", 1));
	} else if (is_base(c->id[0])) {
		fo_error(r, 403, "forbidden",
		    "a base model can not be deleted");
	} else {
		fo_not_found(r, "model", c->id[0]);
	}
}

void
fo_model_update(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *m = fo_find(s, FO_MODEL, c->id[0]), *v;

	if (m == NULL) {
		fo_not_found(r, "fine-tuned model", c->id[0]);
		return;
	}
	v = json_object_get(c->body, "name");
	if (json_is_string(v) || json_is_null(v))
		json_object_set(m, "name", v);
	v = json_object_get(c->body, "description");
	if (json_is_string(v) || json_is_null(v))
		json_object_set(m, "description", v);
	fo_json(r, 200, json_pack("{s:O, s:s, s:O, s:O, s:s, s:O, s:s, s:O, "
	    "s:O, s:O, s:{s:b, s:b, s:b, s:b, s:b}, s:i, s:[], s:O, s:s}",
	    "id", json_object_get(m, "id"), "object", "model", "created",
	    json_object_get(m, "created"), "owned_by", json_object_get(m,
	    "owned_by"), "workspace_id", s->org, "root", json_object_get(m,
	    "root"), "root_version", "1", "archived", json_object_get(m,
	    "archived"), "name", json_object_get(m, "name"), "description",
	    json_object_get(m, "description"), "capabilities",
	    "completion_chat", 1, "completion_fim", 0, "function_calling", 0,
	    "fine_tuning", 0, "classification", 0, "max_context_length", 32768,
	    "aliases", "job", json_object_get(m, "job"), "model_type",
	    "completion"));
}

void
fo_model_archive(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *m = fo_find(s, FO_MODEL, c->id[0]);
	int on = strcmp(c->method, "POST") == 0;

	if (m == NULL) {
		fo_not_found(r, "fine-tuned model", c->id[0]);
		return;
	}
	json_object_set_new(m, "archived", json_boolean(on));
	fo_json(r, 200, json_pack("{s:s, s:s, s:b}", "id", c->id[0], "object",
	    "model", "archived", on));
}
