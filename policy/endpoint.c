/* The endpoint table, the request-target check and the path matcher. */
#include <string.h>

#include "common/http.h"
#include "policy/endpoint.h"
#include "policy/spend.h"

/*
 * One row per operation of Mistral's OpenAPI spec (platform-docs-public,
 * public/openapi.yaml, docs sync v1.5.0 of 2026-08-13), plus the
 * fine-tuning jobs that the spec dropped (still served by the API). The
 * spec's "#stream" and "#id" aliases are the same operation. Within a
 * group, the most used operations come first (the search is linear).
 * tests/mistral_operations.txt lists the spec's operations;
 * tests/test_endpoint checks that each has a row.
 */
#define O(m, p, g, b, c, f, mk, ls, pg) \
	{ p, HTTP_##m, EP_G_##g, EP_BODY_##b, SPEND_##c, (unsigned short)(f), \
	  EP_OBJ_##mk, EP_OBJ_##ls, EP_PAGER_##pg }
#define R(m, p, g, b, c, f) O(m, p, g, b, c, f, NONE, NONE, NONE)
/* An operation that makes an object (its answer holds the new id). */
#define MK(m, p, g, b, c, f, mk) O(m, p, g, b, c, f, mk, NONE, NONE)
/* An operation that lists objects, and how it pages. */
#define LS(p, g, ls, pg) O(GET, p, g, NONE, NONE, 0, NONE, ls, pg)
#define ST EP_STREAM
#define SL EP_STATELESS
#define OA EP_OPENAI
#define CO EP_COMPLETION
#define SP EP_SAFE_PROMPT
#define SR EP_STORE
#define MO EP_MODEL
#define TI EP_TIER

const struct endpoint endpoints[] = {
	/* inference */
	R(POST, "/v1/chat/completions",
	    INFERENCE, JSON, TOKENS, ST|SL|OA|CO|SP|MO|TI),
	R(POST, "/v1/embeddings", INFERENCE, JSON, INPUT, SL|OA|MO),
	R(POST, "/v1/fim/completions", INFERENCE, JSON, TOKENS, ST|SL|CO|MO),
	R(POST, "/v1/agents/completions", INFERENCE, JSON, TOKENS, ST|CO|TI),
	R(POST, "/v1/moderations", INFERENCE, JSON, INPUT, SL|MO),
	R(POST, "/v1/chat/moderations", INFERENCE, JSON, INPUT, SL|MO),
	R(POST, "/v1/classifications", INFERENCE, JSON, INPUT, SL|MO),
	R(POST, "/v1/chat/classifications", INFERENCE, JSON, INPUT, SL|MO),
	R(POST, "/v1/ocr", INFERENCE, JSON, PAGES, SL|MO),
	R(POST, "/v1/audio/transcriptions",
	    INFERENCE, FORM, AUDIO, ST|SL|OA|MO),
	R(POST, "/v1/audio/speech", INFERENCE, JSON, CHARS, ST|SL|MO),

	/* models */
	O(GET, "/v1/models", MODELS, NONE, NONE, SL|OA, NONE, MODEL, NONE),
	R(GET, "/v1/models/{model}", MODELS, NONE, NONE, SL|OA),
	R(DELETE, "/v1/models/{model}", MODELS, NONE, NONE, 0),

	/* files */
	MK(POST, "/v1/files", FILES, FORM, NONE, 0, FILE),
	LS("/v1/files", FILES, FILE, PAGE),
	R(GET, "/v1/files/{file}", FILES, NONE, NONE, 0),
	R(DELETE, "/v1/files/{file}", FILES, NONE, NONE, 0),
	R(GET, "/v1/files/{file}/content", FILES, NONE, NONE, 0),
	R(GET, "/v1/files/{file}/url", FILES, NONE, NONE, 0),

	/* batch */
	LS("/v1/batch/jobs", BATCH, BATCH, PAGE),
	MK(POST, "/v1/batch/jobs", BATCH, JSON, BATCH, 0, BATCH),
	R(GET, "/v1/batch/jobs/{batch}", BATCH, NONE, NONE, 0),
	R(DELETE, "/v1/batch/jobs/{batch}", BATCH, NONE, NONE, 0),
	R(POST, "/v1/batch/jobs/{batch}/cancel", BATCH, NONE, NONE, 0),

	/* fine_tuning */
	R(PATCH, "/v1/fine_tuning/models/{model}", FINE_TUNING, JSON, NONE, 0),
	R(POST, "/v1/fine_tuning/models/{model}/archive",
	    FINE_TUNING, NONE, NONE, 0),
	R(DELETE, "/v1/fine_tuning/models/{model}/archive",
	    FINE_TUNING, NONE, NONE, 0),

	/* agents */
	MK(POST, "/v1/agents", AGENTS, JSON, NONE, 0, AGENT),
	LS("/v1/agents", AGENTS, AGENT, PAGE),
	LS("/v1/agents/pages", AGENTS, AGENT, CURSOR),
	R(GET, "/v1/agents/{agent}", AGENTS, NONE, NONE, 0),
	R(PATCH, "/v1/agents/{agent}", AGENTS, JSON, NONE, 0),
	R(DELETE, "/v1/agents/{agent}", AGENTS, NONE, NONE, 0),
	R(PATCH, "/v1/agents/{agent}/version", AGENTS, NONE, NONE, 0),
	R(GET, "/v1/agents/{agent}/versions", AGENTS, NONE, NONE, 0),
	R(GET, "/v1/agents/{agent}/versions/{}", AGENTS, NONE, NONE, 0),
	R(PUT, "/v1/agents/{agent}/aliases", AGENTS, NONE, NONE, 0),
	R(GET, "/v1/agents/{agent}/aliases", AGENTS, NONE, NONE, 0),
	R(DELETE, "/v1/agents/{agent}/aliases", AGENTS, NONE, NONE, 0),

	/* conversations */
	MK(POST, "/v1/conversations", CONVERSATIONS, JSON, TOKENS, ST|SR,
	    CONVERSATION),
	LS("/v1/conversations", CONVERSATIONS, CONVERSATION, PAGE),
	R(GET, "/v1/conversations/{conversation}",
	    CONVERSATIONS, NONE, NONE, 0),
	R(DELETE, "/v1/conversations/{conversation}",
	    CONVERSATIONS, NONE, NONE, 0),
	R(POST, "/v1/conversations/{conversation}",
	    CONVERSATIONS, JSON, TOKENS, ST|SR),
	R(GET, "/v1/conversations/{conversation}/history",
	    CONVERSATIONS, NONE, NONE, 0),
	R(GET, "/v1/conversations/{conversation}/messages",
	    CONVERSATIONS, NONE, NONE, 0),
	MK(POST, "/v1/conversations/{conversation}/restart",
	    CONVERSATIONS, JSON, TOKENS, ST|SR, CONVERSATION),

	/* libraries */
	LS("/v1/libraries", LIBRARIES, LIBRARY, PAGE),
	MK(POST, "/v1/libraries", LIBRARIES, JSON, NONE, 0, LIBRARY),
	R(GET, "/v1/libraries/{library}", LIBRARIES, NONE, NONE, 0),
	R(DELETE, "/v1/libraries/{library}", LIBRARIES, NONE, NONE, 0),
	R(PATCH, "/v1/libraries/{library}", LIBRARIES, JSON, NONE, 0),
	R(PUT, "/v1/libraries/{library}", LIBRARIES, JSON, NONE, 0),
	LS("/v1/libraries/{library}/documents", LIBRARIES, DOCUMENT,
	    PAGE),
	MK(POST, "/v1/libraries/{library}/documents", LIBRARIES, FORM, NONE, 0,
	    DOCUMENT),
	R(GET, "/v1/libraries/{library}/documents/{document}",
	    LIBRARIES, NONE, NONE, 0),
	R(PATCH, "/v1/libraries/{library}/documents/{document}",
	    LIBRARIES, JSON, NONE, 0),
	R(PUT, "/v1/libraries/{library}/documents/{document}",
	    LIBRARIES, JSON, NONE, 0),
	R(DELETE, "/v1/libraries/{library}/documents/{document}",
	    LIBRARIES, NONE, NONE, 0),
	R(GET, "/v1/libraries/{library}/documents/{document}/text_content",
	    LIBRARIES, NONE, NONE, 0),
	R(GET, "/v1/libraries/{library}/documents/{document}/status",
	    LIBRARIES, NONE, NONE, 0),
	R(GET, "/v1/libraries/{library}/documents/{document}/signed-url",
	    LIBRARIES, NONE, NONE, 0),
	R(GET, "/v1/libraries/{library}/documents/{document}/"
	    "extracted-text-signed-url",
	    LIBRARIES, NONE, NONE, 0),
	R(POST, "/v1/libraries/{library}/documents/{document}/reprocess",
	    LIBRARIES, NONE, NONE, 0),
	R(GET, "/v1/libraries/{library}/share", LIBRARIES, NONE, NONE, 0),
	R(PUT, "/v1/libraries/{library}/share", LIBRARIES, JSON, NONE, 0),
	R(DELETE, "/v1/libraries/{library}/share", LIBRARIES, JSON, NONE, 0),

	/* voices */
	LS("/v1/audio/voices", VOICES, VOICE, OFFSET),
	MK(POST, "/v1/audio/voices", VOICES, JSON, NONE, 0, VOICE),
	R(DELETE, "/v1/audio/voices/{voice}", VOICES, NONE, NONE, 0),
	R(PATCH, "/v1/audio/voices/{voice}", VOICES, JSON, NONE, 0),
	R(GET, "/v1/audio/voices/{voice}", VOICES, NONE, NONE, 0),
	R(GET, "/v1/audio/voices/{voice}/sample", VOICES, NONE, NONE, 0),

	/* prompts */
	LS("/v2/prompts", PROMPTS, PROMPT, CURSOR),
	MK(POST, "/v2/prompts", PROMPTS, JSON, NONE, 0, PROMPT),
	R(GET, "/v2/prompts/{prompt}", PROMPTS, NONE, NONE, 0),
	R(DELETE, "/v2/prompts/{prompt}", PROMPTS, NONE, NONE, 0),
	R(PATCH, "/v2/prompts/{prompt}", PROMPTS, JSON, NONE, 0),
	R(GET, "/v2/prompts/{prompt}/versions", PROMPTS, NONE, NONE, 0),
	R(POST, "/v2/prompts/{prompt}/versions", PROMPTS, JSON, NONE, 0),
	R(GET, "/v2/prompts/{prompt}/versions/{}", PROMPTS, NONE, NONE, 0),
	R(PATCH, "/v2/prompts/{prompt}/versions/{}", PROMPTS, JSON, NONE, 0),

	/* skills */
	LS("/v2/skills", SKILLS, SKILL, CURSOR),
	MK(POST, "/v2/skills", SKILLS, JSON, NONE, 0, SKILL),
	R(GET, "/v2/skills/{skill}", SKILLS, NONE, NONE, 0),
	R(DELETE, "/v2/skills/{skill}", SKILLS, NONE, NONE, 0),
	R(PATCH, "/v2/skills/{skill}", SKILLS, JSON, NONE, 0),
	R(GET, "/v2/skills/{skill}/versions", SKILLS, NONE, NONE, 0),
	R(POST, "/v2/skills/{skill}/versions", SKILLS, JSON, NONE, 0),
	R(GET, "/v2/skills/{skill}/versions/{}", SKILLS, NONE, NONE, 0),
	R(PATCH, "/v2/skills/{skill}/versions/{}", SKILLS, JSON, NONE, 0),

	/* connectors */
	R(POST, "/v1/connectors", CONNECTORS, JSON, NONE, 0),
	R(GET, "/v1/connectors", CONNECTORS, NONE, NONE, 0),
	R(GET, "/v1/connectors/{}/auth_url", CONNECTORS, NONE, NONE, 0),
	R(PUT, "/v1/connectors/{}/share", CONNECTORS, NONE, NONE, 0),
	R(DELETE, "/v1/connectors/{}/share", CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/{}/activate", CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/{}/deactivate", CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/tools/{}/call", CONNECTORS, JSON, NONE, 0),
	R(GET, "/v1/connectors/{}/tools", CONNECTORS, NONE, NONE, 0),
	R(GET, "/v1/connectors/{}/authentication_methods",
	    CONNECTORS, NONE, NONE, 0),
	R(GET, "/v1/connectors/{}/organization/credentials",
	    CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/organization/credentials",
	    CONNECTORS, JSON, NONE, 0),
	R(GET, "/v1/connectors/{}/workspace/credentials",
	    CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/workspace/credentials",
	    CONNECTORS, JSON, NONE, 0),
	R(GET, "/v1/connectors/{}/user/credentials", CONNECTORS, NONE, NONE, 0),
	R(POST, "/v1/connectors/{}/user/credentials",
	    CONNECTORS, JSON, NONE, 0),
	R(DELETE, "/v1/connectors/{}/user/credentials",
	    CONNECTORS, NONE, NONE, 0),
	R(DELETE, "/v1/connectors/{}/organization/credentials/{}",
	    CONNECTORS, NONE, NONE, 0),
	R(DELETE, "/v1/connectors/{}/workspace/credentials/{}",
	    CONNECTORS, NONE, NONE, 0),
	R(DELETE, "/v1/connectors/{}/user/credentials/{}",
	    CONNECTORS, NONE, NONE, 0),
	R(GET, "/v1/connectors/{}", CONNECTORS, NONE, NONE, 0),
	R(PATCH, "/v1/connectors/{}", CONNECTORS, JSON, NONE, 0),
	R(DELETE, "/v1/connectors/{}", CONNECTORS, NONE, NONE, 0),

	/* workflows */
	R(GET, "/v1/workflows/executions/{}", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/history", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/signals",
	    WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/queries",
	    WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/terminate",
	    WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/executions/terminate", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/cancel", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/executions/cancel", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/reset", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/executions/{}/updates",
	    WORKFLOWS, JSON, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/trace/info",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/trace/otel",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/trace/summary",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/trace/events",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/stream", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/logs", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/executions/{}/logs/stream",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/{}/metrics", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/runs", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/runs/{}", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/runs/{}/history", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/schedules", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/schedules", WORKFLOWS, JSON, NONE, 0),
	R(GET, "/v1/workflows/schedules/{}", WORKFLOWS, NONE, NONE, 0),
	R(DELETE, "/v1/workflows/schedules/{}", WORKFLOWS, NONE, NONE, 0),
	R(PATCH, "/v1/workflows/schedules/{}", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/schedules/{}/pause", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/schedules/{}/resume", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/schedules/{}/trigger", WORKFLOWS, JSON, NONE, 0),
	R(GET, "/v1/workflows/events/stream", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/events/list", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/deployments", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/deployments", WORKFLOWS, JSON, NONE, 0),
	R(PATCH, "/v1/workflows/deployments/{}", WORKFLOWS, JSON, NONE, 0),
	R(DELETE, "/v1/workflows/deployments/{}", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/deployments/{}", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/deployments/{}/stop", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/deployments/{}/start", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/deployments/{}/restart",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/deployments/{}/workers",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/deployments/{}/logs", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/deployments/{}/logs/stream",
	    WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows", WORKFLOWS, NONE, NONE, 0),
	R(GET, "/v1/workflows/registrations", WORKFLOWS, NONE, NONE, 0),
	R(POST, "/v1/workflows/{}/execute", WORKFLOWS, JSON, NONE, 0),
	R(POST, "/v1/workflows/registrations/{}/execute",
	    WORKFLOWS, JSON, NONE, 0),
	R(GET, "/v1/workflows/{}", WORKFLOWS, NONE, NONE, 0),
	R(PUT, "/v1/workflows/{}", WORKFLOWS, JSON, NONE, 0),
	R(GET, "/v1/workflows/registrations/{}", WORKFLOWS, NONE, NONE, 0),
	R(PUT, "/v1/workflows/archive", WORKFLOWS, JSON, NONE, 0),
	R(PUT, "/v1/workflows/unarchive", WORKFLOWS, JSON, NONE, 0),
	R(PUT, "/v1/workflows/{}/archive", WORKFLOWS, NONE, NONE, 0),
	R(PUT, "/v1/workflows/{}/unarchive", WORKFLOWS, NONE, NONE, 0),

	/* rag */
	R(GET, "/v1/rag/ingestion_pipeline_configurations", RAG, NONE, NONE, 0),
	R(PUT, "/v1/rag/ingestion_pipeline_configurations", RAG, JSON, NONE, 0),
	R(PUT, "/v1/rag/ingestion_pipeline_configurations/{}/run_info",
	    RAG, JSON, NONE, 0),
	R(GET, "/v1/rag/deployments", RAG, NONE, NONE, 0),
	R(PUT, "/v1/rag/deployments", RAG, JSON, NONE, 0),
	R(DELETE, "/v1/rag/deployments/{}", RAG, NONE, NONE, 0),
	R(PUT, "/v1/rag/deployments/{}/metrics", RAG, JSON, NONE, 0),

	/* observability */
	R(POST, "/v1/observability/chat-completion-events/search",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/chat-completion-events/search-ids",
	    OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/chat-completion-events/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/chat-completion-events/{}/similar-events",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/chat-completion-fields",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/chat-completion-fields/{}/options",
	    OBSERVABILITY, NONE, NONE, 0),
	R(POST, "/v1/observability/chat-completion-fields/{}/options-counts",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/chat-completion-events/{}/live-judging",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/judges", OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/judges", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/judges/{}", OBSERVABILITY, NONE, NONE, 0),
	R(DELETE, "/v1/observability/judges/{}", OBSERVABILITY, NONE, NONE, 0),
	R(PUT, "/v1/observability/judges/{}", OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/judges/{}/live-judging",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/campaigns", OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/campaigns", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/campaigns/{}", OBSERVABILITY, NONE, NONE, 0),
	R(DELETE, "/v1/observability/campaigns/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/campaigns/{}/status",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/campaigns/{}/selected-events",
	    OBSERVABILITY, NONE, NONE, 0),
	R(POST, "/v1/observability/datasets", OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/datasets", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/datasets/{}", OBSERVABILITY, NONE, NONE, 0),
	R(DELETE, "/v1/observability/datasets/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(PATCH, "/v1/observability/datasets/{}", OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/datasets/{}/records",
	    OBSERVABILITY, NONE, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/records",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/imports/from-campaign",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/imports/from-explorer",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/imports/from-file",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/imports/from-playground",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/datasets/{}/imports/from-dataset",
	    OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/datasets/{}/exports/to-jsonl",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/datasets/{}/tasks/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/datasets/{}/tasks",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/dataset-records/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(DELETE, "/v1/observability/dataset-records/{}",
	    OBSERVABILITY, NONE, NONE, 0),
	R(POST, "/v1/observability/dataset-records/bulk-delete",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/dataset-records/{}/live-judging",
	    OBSERVABILITY, JSON, NONE, 0),
	R(PUT, "/v1/observability/dataset-records/{}/payload",
	    OBSERVABILITY, JSON, NONE, 0),
	R(PUT, "/v1/observability/dataset-records/{}/properties",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/logs/search", OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/traces/search",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/traces/aggregate",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/spans/search", OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/spans/aggregate",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/spans/evaluations/search",
	    OBSERVABILITY, JSON, NONE, 0),
	R(POST, "/v1/observability/spans/evaluations/search/latest",
	    OBSERVABILITY, JSON, NONE, 0),
	R(GET, "/v1/observability/traces/fields", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/traces/{}", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/traces/{}/spans",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/logs/fields", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/spans/fields", OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/spans/evaluations/fields",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/traces/fields/{}/options",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/logs/fields/{}/options",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/spans/fields/{}/options",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/spans/evaluations/fields/{}/options",
	    OBSERVABILITY, NONE, NONE, 0),
	R(GET, "/v1/observability/traces/{}/spans/{}",
	    OBSERVABILITY, NONE, NONE, 0),

	/* users */
	R(GET, "/v1/users/me", USERS, NONE, NONE, 0),
	R(GET, "/v1/users/me/organizations", USERS, NONE, NONE, 0),
	R(GET, "/v1/users/me/workspaces", USERS, NONE, NONE, 0),

	/* admin */
	R(GET, "/v1/admin/users", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/users", ADMIN, ARRAY, NONE, 0),
	R(POST, "/v1/admin/users-invite", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/users-invite", ADMIN, NONE, NONE, 0),
	R(DELETE, "/v1/admin/users-invite/{}", ADMIN, NONE, NONE, 0),
	R(PATCH, "/v1/admin/users/{}", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/users/{}", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/users/{}", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/roles", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/workspaces", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/workspaces", ADMIN, JSON, NONE, 0),
	R(PATCH, "/v1/admin/workspaces/{}", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/workspaces/{}", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/workspaces/{}/add-users", ADMIN, JSON, NONE, 0),
	R(PATCH, "/v1/admin/workspaces/{}/users", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/workspaces/{}/remove-users", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/rate-limit", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/spend-limit", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/spend-limit", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/usage", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/audit-logs", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/user-groups", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/user-groups", ADMIN, JSON, NONE, 0),
	R(POST, "/v1/admin/user-groups/provision-workspace",
	    ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/user-groups/{}", ADMIN, NONE, NONE, 0),
	R(PATCH, "/v1/admin/user-groups/{}", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/user-groups/{}", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/user-groups/{}/members", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/user-groups/{}/members", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/user-groups/{}/members", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/user-groups/{}/workspaces", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/user-groups/{}/workspaces", ADMIN, JSON, NONE, 0),
	R(PATCH, "/v1/admin/user-groups/{}/workspaces/{}",
	    ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/user-groups/{}/workspaces/{}",
	    ADMIN, NONE, NONE, 0),
	R(PATCH, "/v1/admin/user-groups/{}/organization-role",
	    ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/user-groups/{}/nested", ADMIN, NONE, NONE, 0),
	R(PATCH, "/v1/admin/user-groups/{}/nested", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/api-keys", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/api-keys", ADMIN, JSON, NONE, 0),
	R(DELETE, "/v1/admin/api-keys/{}", ADMIN, NONE, NONE, 0),
	R(POST, "/v1/admin/scim/sync", ADMIN, JSON, NONE, 0),
	R(GET, "/v1/admin/scim/sync/{}", ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/analytics/vibe/work/usage/by_user_stats",
	    ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/analytics/vibe/work/usage/by_agent_stats",
	    ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/analytics/vibe/work/usage/by_time_stats",
	    ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/analytics/vibe/code/usage/by_workspace",
	    ADMIN, NONE, NONE, 0),
	R(GET, "/v1/admin/analytics/vibe/code/usage/by_organization",
	    ADMIN, NONE, NONE, 0),

	/* fine_tuning */
	LS("/v1/fine_tuning/jobs", FINE_TUNING, FT_JOB, PAGE),
	MK(POST, "/v1/fine_tuning/jobs", FINE_TUNING, JSON, NONE, 0,
	    FT_JOB),
	R(GET, "/v1/fine_tuning/jobs/{ft_job}", FINE_TUNING, NONE, NONE, 0),
	R(POST, "/v1/fine_tuning/jobs/{ft_job}/cancel",
	    FINE_TUNING, NONE, NONE, 0),
	R(POST, "/v1/fine_tuning/jobs/{ft_job}/start",
	    FINE_TUNING, NONE, NONE, 0),
};

#undef O
#undef R
#undef MK
#undef LS
#undef ST
#undef SL
#undef OA
#undef CO
#undef SP
#undef SR
#undef MO
#undef TI

const size_t n_endpoints = sizeof(endpoints) / sizeof(endpoints[0]);

static const char *const group_names[EP_G__COUNT] = {
	"inference", "models", "files", "batch", "fine_tuning", "agents",
	"conversations", "libraries", "voices", "prompts", "skills",
	"connectors", "workflows", "rag", "observability", "users", "admin"
};

static const char *const obj_names[EP_OBJ__COUNT] = {
	"", "file", "batch", "ft_job", "model", "agent", "conversation",
	"library", "document", "voice", "prompt", "skill"
};

const char *
endpoint_obj_name(int kind)
{
	return kind > 0 && kind < EP_OBJ__COUNT ? obj_names[kind] : "";
}

int
endpoint_obj_parse(const char *name, size_t len)
{
	for (int k = 1; k < EP_OBJ__COUNT; k++)
		if (strlen(obj_names[k]) == len &&
		    memcmp(obj_names[k], name, len) == 0)
			return k;
	return EP_OBJ_NONE;
}

size_t
endpoint_params(const struct endpoint *ep, const char *path,
    size_t path_len, struct ep_param *out, size_t max)
{
	const char *pat = ep->path, *p = path, *end = path + path_len;
	size_t n = 0;

	/* The path matched: walk both, segment by segment. */
	while (*pat != '\0' && p < end) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			const char *slash = memchr(p, '/', (size_t)(end - p));
			const char *e = slash != NULL ? slash : end;
			int kind = endpoint_obj_parse(pat + 1,
			    (size_t)(close - pat - 1));

			if (kind != EP_OBJ_NONE && n < max) {
				out[n].kind = kind;
				out[n].id = p;
				out[n].len = (size_t)(e - p);
				n++;
			}
			p = e;
			pat = close + 1;
			continue;
		}
		pat++;
		p++;
	}
	return n;
}

int
endpoint_delete_path(int kind, const char *id, const char *parent, char *out,
    size_t cap)
{
	for (size_t i = 0; i < n_endpoints; i++) {
		const struct endpoint *ep = &endpoints[i];
		const char *p = ep->path, *last = strrchr(p, '{');
		size_t n = 0, params = 0;

		if (ep->method != HTTP_DELETE || last == NULL ||
		    p[strlen(p) - 1] != '}' || endpoint_obj_parse(last + 1,
		    strlen(last + 1) - 1) != kind)
			continue;
		for (const char *q = p; (q = strchr(q, '{')) != NULL; q++)
			params++;
		if (params > 2 || (params == 2 && (parent == NULL ||
		    *parent == '\0')))
			continue;
		while (*p != '\0') {
			const char *v = NULL;

			if (*p == '{') {
				v = params == 2 && p != last ? parent : id;
				p = strchr(p, '}') + 1;
			}
			if (v != NULL) {
				size_t vl = strlen(v);

				if (n + vl >= cap)
					return -1;
				memcpy(out + n, v, vl);
				n += vl;
				continue;
			}
			if (n + 1 >= cap)
				return -1;
			out[n++] = *p++;
		}
		out[n] = '\0';
		return 0;
	}
	return -1;
}

const char *
endpoint_group_name(int group)
{
	return group >= 0 && group < EP_G__COUNT ? group_names[group] : "?";
}

int
endpoint_group_parse(const char *name, size_t len)
{
	for (int g = 0; g < EP_G__COUNT; g++)
		if (strlen(group_names[g]) == len &&
		    memcmp(group_names[g], name, len) == 0)
			return g;
	return -1;
}

/* Bytes a path segment may hold: RFC 3986 pchar without '%'. */
static int
path_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("-._~:@!$&'()*+,;=", c) != NULL);
}

static int
hex_digit(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Visible ASCII but '#', with %XX escapes well formed. */
static int
valid_query(const char *q, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)q[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			return 0;
		if (c == '%' && (i + 2 >= len ||
		    !hex_digit((unsigned char)q[i + 1]) ||
		    !hex_digit((unsigned char)q[i + 2])))
			return 0;
	}
	return 1;
}

int
endpoint_target(const char *target, size_t len, size_t max,
    struct ep_target *out)
{
	const char *q = memchr(target, '?', len);
	size_t plen = q != NULL ? (size_t)(q - target) : len;
	size_t seg = 0;		/* bytes of the current segment */

	memset(out, 0, sizeof(*out));
	if (len > max)
		return EP_TARGET_TOO_LONG;
	if (plen == 0 || target[0] != '/')
		return EP_TARGET_INVALID;
	for (size_t i = 1; i <= plen; i++) {
		if (i == plen || target[i] == '/') {
			const char *s = target + i - seg;

			/* Empty, "." and ".." segments would be normalized
			 * by someone; only a last empty one (a trailing
			 * slash) is left to the table, which has none. */
			if ((seg == 0 && i < plen) ||
			    (seg == 1 && s[0] == '.') ||
			    (seg == 2 && s[0] == '.' && s[1] == '.'))
				return EP_TARGET_INVALID;
			seg = 0;
			continue;
		}
		if (!path_byte((unsigned char)target[i]))
			return EP_TARGET_INVALID;
		seg++;
	}
	if (q != NULL && !valid_query(q + 1, len - plen - 1))
		return EP_TARGET_INVALID;
	out->path = target;
	out->path_len = plen;
	if (q != NULL) {
		out->query = q + 1;
		out->query_len = len - plen - 1;
	}
	return EP_TARGET_OK;
}

/*
 * Matches path against a row's pattern: literal segments equal, "{...}"
 * any one non-empty segment. Returns -1 when it does not match, else a
 * rank: bit (15 - i) is set when segment i matched a parameter, so that
 * of two matches the one with a literal segment first ranks lower
 * ("/v1/workflows/archive" before "/v1/workflows/{}").
 */
static int
match(const char *pat, const char *path, const char *end)
{
	int rank = 0, seg = -1;

	while (*pat != '\0' && path < end) {
		if (*pat == '/')
			seg++;
		if (*pat == '{') {
			const char *slash = memchr(path, '/', (size_t)(end -
			    path));

			if (slash == path || seg > 15)
				return -1;
			rank |= 1 << (15 - seg);
			path = slash != NULL ? slash : end;
			pat = strchr(pat, '}') + 1;
			continue;
		}
		if (*pat != *path)
			return -1;
		pat++;
		path++;
	}
	return *pat == '\0' && path == end ? rank : -1;
}

int
endpoint_find(int method, const char *path, size_t path_len,
    const struct endpoint **ep)
{
	const char *end = path + path_len;
	int found = EP_NO_PATH, best = -1;

	*ep = NULL;
	for (size_t i = 0; i < n_endpoints; i++) {
		int rank = match(endpoints[i].path, path, end);

		if (rank < 0)
			continue;
		if (endpoints[i].method != method) {
			if (found == EP_NO_PATH)
				found = EP_NO_METHOD;
			continue;
		}
		if (best < 0 || rank < best) {
			*ep = &endpoints[i];
			best = rank;
			found = EP_FOUND;
			if (rank == 0)
				break;	/* no other can rank lower */
		}
	}
	return found;
}
