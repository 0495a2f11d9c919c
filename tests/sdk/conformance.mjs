// Drives the official clients through eugate (tests/test_sdk.py starts
// the gateway and the fake upstream and passes their addresses). Prints
// TAP; every check names the SDK method. The SDKs validate response
// shapes themselves: a mangled answer throws.
import { Mistral } from "@mistralai/mistralai";
import * as errors from "@mistralai/mistralai/models/errors/index.js";
import OpenAI from "openai";

const url = process.env.EUGATE_URL;
const key = process.env.EUGATE_KEY;
const piiKey = process.env.EUGATE_PII_KEY;
const out = [];
let n = 0, failed = 0;

setTimeout(() => { console.log("not ok - timed out"); process.exit(1); },
    100000).unref();

function ok(cond, name, diag) {
  n++;
  console.log(`${cond ? "" : "not "}ok ${n} - ${name}`);
  if (!cond) {
    failed++;
    if (diag !== undefined)
      for (const l of String(diag).split("\n")) console.log(`#   ${l}`);
  }
}

// Runs one check; an exception is a failure with its message.
async function check(name, fn) {
  try {
    const r = await fn();
    ok(r === true, name, r === true ? undefined : JSON.stringify(r));
  } catch (e) {
    ok(false, name, `${e.constructor.name}: ${e.message}\n${e.body ?? ""}`);
  }
}

// Expects fn to throw; test(e) says whether it is the right error.
async function throws(name, fn, test) {
  try {
    await fn();
    ok(false, name, "no error");
  } catch (e) {
    ok(test(e), name, `${e.constructor.name}: ${e.message}`);
  }
}

const m = new Mistral({ apiKey: key, serverURL: url });
const chatReq = { model: "mistral-small-latest",
  messages: [{ role: "user", content: "hello" }] };

await check("chat.complete", async () => {
  const r = await m.chat.complete(chatReq);
  return r.choices[0].message.content.startsWith("echo: hello") &&
      r.usage.promptTokens > 0 || r;
});

await check("chat.stream", async () => {
  let text = "", usage = null, events = 0;
  for await (const ev of await m.chat.stream(chatReq)) {
    events++;
    text += ev.data.choices[0].delta.content ?? "";
    if (ev.data.usage) usage = ev.data.usage;
  }
  return events >= 2 && text.startsWith("echo: hello") &&
      usage?.completionTokens > 0 || { events, text, usage };
});

await check("fim.complete", async () => {
  const r = await m.fim.complete({ model: "codestral-latest",
    prompt: "def f(", suffix: "return 1" });
  return typeof r.choices[0].message.content === "string" || r;
});

await check("embeddings.create", async () => {
  const r = await m.embeddings.create({ model: "mistral-embed",
    inputs: ["a", "b"] });
  return r.data.length > 0 && r.data[0].embedding.length > 0 || r;
});

await check("models.list", async () => {
  const r = await m.models.list();
  return Array.isArray(r.data) && r.data.length > 0 || r;
});

await check("chat.complete with tools: a tool call", async () => {
  const r = await m.chat.complete({ ...chatReq, tools: [{ type: "function",
    function: { name: "get_weather", description: "weather",
      parameters: { type: "object", properties: { city: { type: "string" } } } } }] });
  const c = r.choices[0].message.toolCalls?.[0];
  return c?.function.name === "get_weather" &&
      typeof JSON.parse(c.function.arguments).text === "string" &&
      r.choices[0].finishReason === "tool_calls" || r;
});

await check("chat.complete with responseFormat json_object", async () => {
  const r = await m.chat.complete({ ...chatReq,
    responseFormat: { type: "json_object" } });
  return JSON.parse(r.choices[0].message.content).text.startsWith("echo") || r;
});

await check("chat.complete with responseFormat json_schema (structured)",
    async () => {
  const r = await m.chat.complete({ ...chatReq, responseFormat: {
    type: "json_schema", jsonSchema: { name: "echo", schemaDefinition: {
      type: "object", properties: { text: { type: "string" } },
      required: ["text"] } } } });
  return typeof JSON.parse(r.choices[0].message.content).text === "string" ||
      r;
});

await check("chat.stream with tools: tool-call deltas", async () => {
  let args = "", name = "";
  for await (const ev of await m.chat.stream({ ...chatReq, tools: [{
    type: "function", function: { name: "get_weather", parameters: {} } }] },
  { headers: { "x-fake-split": "6", "x-fake-tool": "1" } })) {
    const tc = ev.data.choices[0].delta.toolCalls?.[0];
    if (tc?.function?.name) name = tc.function.name;
    args += tc?.function?.arguments ?? "";
  }
  return name !== "" && typeof JSON.parse(args).text === "string" ||
      { name, args };
});

await check("agents.complete", async () => {
  const r = await m.agents.complete({ agentId: "ag-fake",
    messages: [{ role: "user", content: "hello" }] });
  return r.choices[0].message.content.startsWith("echo: hello") || r;
});

await check("classifiers.moderate", async () => {
  const r = await m.classifiers.moderate({ model: "mistral-moderation-latest",
    inputs: ["one", "two"] });
  return r.results.length === 2 && r.results[0].categories.pii === false || r;
});

await check("classifiers.moderateChat", async () => {
  const r = await m.classifiers.moderateChat({
    model: "mistral-moderation-latest",
    inputs: [{ role: "user", content: "hello" }] });
  return r.results.length >= 1 && "sexual" in r.results[0].categoryScores || r;
});

await check("classifiers.classify", async () => {
  const r = await m.classifiers.classify({ model: "ft:classifier:fake",
    inputs: ["is this a question?"] });
  return r.results[0].intent.scores.question > 0.5 || r;
});

await check("ocr.process", async () => {
  const r = await m.ocr.process({ model: "mistral-ocr-latest",
    document: { type: "document_url", documentUrl: "https://example.com/a.pdf" } });
  return r.pages[0].markdown.startsWith("# Invoice") &&
      r.usageInfo.pagesProcessed === 1 || r;
});

// Stored objects: the ids come from the answers, and what one call
// created the next ones find (the fake upstream keeps them).
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const jsonl = '{"custom_id":"1","body":{"messages":[{"role":"user",' +
    '"content":"hi"}]}}\n';
let fileId, jobId, convId, agentId, libId, docId, voiceId;

await check("files.upload (multipart)", async () => {
  const r = await m.files.upload({ file: { fileName: "batch.jsonl",
    content: new TextEncoder().encode(jsonl) }, purpose: "batch" });
  fileId = r.id;
  return uuid.test(r.id) && r.sizeBytes === jsonl.length &&
      r.filename === "batch.jsonl" && r.numLines === 1 || r;
});

await check("files.list", async () => {
  const r = await m.files.list({ pageSize: 10 });
  return r.total >= 1 && r.data.some((f) => f.id === fileId &&
      f.sizeBytes === jsonl.length) || r;
});

await check("files.retrieve", async () => {
  const r = await m.files.retrieve({ fileId });
  return r.id === fileId && r.deleted === false || r;
});

await check("files.download: the bytes uploaded", async () => {
  const stream = await m.files.download({ fileId });
  const text = await new Response(stream).text();
  return text === jsonl || text;
});

await check("files.getSignedUrl", async () => {
  const r = await m.files.getSignedUrl({ fileId });
  return r.url.startsWith("https://") || r;
});

await check("batch.jobs.create", async () => {
  const r = await m.batch.jobs.create({ inputFiles: [fileId],
    endpoint: "/v1/chat/completions", model: "mistral-small-latest" });
  jobId = r.id;
  return uuid.test(r.id) && r.status === "QUEUED" &&
      r.totalRequests === 1 || r;
});

await check("batch.jobs.cancel", async () => {
  const r = await m.batch.jobs.cancel({ jobId });
  return r.status === "CANCELLATION_REQUESTED" || r;
});

await check("batch.jobs.get: cancelled", async () => {
  const r = await m.batch.jobs.get({ jobId });
  return r.id === jobId && r.status === "CANCELLED" || r;
});

await check("batch.jobs.get: a job runs, its output file appears",
    async () => {
  const job = await m.batch.jobs.create({ inputFiles: [fileId],
    endpoint: "/v1/chat/completions", model: "mistral-small-latest" });
  const r = await m.batch.jobs.get({ jobId: job.id });
  const out = await new Response(await m.files.download({
    fileId: r.outputFile })).text();
  return r.status === "SUCCESS" && r.succeededRequests === 1 &&
      out.includes("echo: hi") || { r, out };
});

await check("batch.jobs.list", async () => {
  const r = await m.batch.jobs.list();
  return r.total === 2 && r.data.some((j) => j.status === "SUCCESS" &&
      uuid.test(j.outputFile)) || r;
});

await check("files.delete, then retrieve: 404", async () => {
  const r = await m.files.delete({ fileId });
  try {
    await m.files.retrieve({ fileId });
    return "still there";
  } catch (e) {
    return r.deleted === true && e.statusCode === 404 || e.message;
  }
});

await check("models.retrieve", async () => {
  const r = await m.models.retrieve({ modelId: "mistral-small-latest" });
  return r.id === "mistral-small-latest" && r.type === "base" || r;
});

await check("beta.agents.create", async () => {
  const r = await m.beta.agents.create({ model: "mistral-medium-latest",
    name: "helper", instructions: "be brief" });
  agentId = r.id;
  return /^ag_[0-9a-f]{32}$/.test(r.id) && r.version === 0 || r;
});

await check("beta.agents.update, get, list", async () => {
  const u = await m.beta.agents.update({ agentId,
    updateAgentRequest: { description: "new" } });
  const g = await m.beta.agents.get({ agentId });
  const l = await m.beta.agents.list({ page: 0, pageSize: 10 });
  return u.version === 1 && g.description === "new" &&
      l.some((a) => a.id === agentId) || { u, g, l };
});

await check("beta.conversations.start", async () => {
  const r = await m.beta.conversations.start({ model: "mistral-medium-latest",
    inputs: "hello" });
  convId = r.conversationId;
  return /^conv_[0-9a-f]{32}$/.test(r.conversationId) &&
      r.outputs[0].content === "echo: hello" || r;
});

await check("beta.conversations.append", async () => {
  const r = await m.beta.conversations.append({ conversationId: convId,
    conversationAppendRequest: { inputs: "again" } });
  return r.conversationId === convId && r.outputs.length === 1 &&
      r.outputs[0].content === "echo: again" || r;
});

await check("beta.conversations.get, list, getHistory, getMessages",
    async () => {
  const g = await m.beta.conversations.get({ conversationId: convId });
  const l = await m.beta.conversations.list({ page: 0, pageSize: 10 });
  const h = await m.beta.conversations.getHistory({ conversationId: convId });
  const ms = await m.beta.conversations.getMessages({
    conversationId: convId });
  return g.id === convId && l.some((c) => c.id === convId) &&
      h.entries.length === 4 && ms.messages.length === 4 || { g, l, h, ms };
});

await check("beta.conversations.restart: a new conversation", async () => {
  const h = await m.beta.conversations.getHistory({ conversationId: convId });
  const r = await m.beta.conversations.restart({ conversationId: convId,
    conversationRestartRequest: { inputs: "redo",
      fromEntryId: h.entries[1].id } });
  return r.conversationId !== convId && r.outputs[0].content ===
      "echo: redo" || r;
});

await check("beta.conversations.start with the agent", async () => {
  const r = await m.beta.conversations.start({ agentId, inputs: "hello" });
  const g = await m.beta.conversations.get({
    conversationId: r.conversationId });
  return g.agentId === agentId || g;
});

await check("beta.conversations.delete, beta.agents.delete", async () => {
  await m.beta.conversations.delete({ conversationId: convId });
  await m.beta.agents.delete({ agentId });
  const l = await m.beta.conversations.list();
  return !l.some((c) => c.id === convId) || l;
});

await check("beta.conversations.startStream (named SSE events)", async () => {
  const types = [];
  let text = "";
  for await (const ev of await m.beta.conversations.startStream({
    model: "mistral-medium-latest", inputs: "hello" })) {
    types.push(ev.event);
    if (ev.event === "message.output.delta") text += ev.data.content;
  }
  return types[0] === "conversation.response.started" &&
      types.at(-1) === "conversation.response.done" &&
      text === "echo: hello" || { types, text };
});

await check("beta.libraries.create, update, list", async () => {
  const c = await m.beta.libraries.create({ name: "docs" });
  libId = c.id;
  const u = await m.beta.libraries.update({ libraryId: libId,
    updateLibraryRequest: { name: "docs2" } });
  const l = await m.beta.libraries.list();
  return uuid.test(c.id) && u.name === "docs2" &&
      l.data.some((x) => x.id === libId) || { c, u, l };
});

await check("beta.libraries.documents.upload, get, list, textContent",
    async () => {
  const d = await m.beta.libraries.documents.upload({ libraryId: libId,
    requestBody: { file: { fileName: "a.txt",
      content: new TextEncoder().encode("some text") } } });
  docId = d.id;
  const g = await m.beta.libraries.documents.get({ libraryId: libId,
    documentId: docId });
  const l = await m.beta.libraries.documents.list({ libraryId: libId });
  const t = await m.beta.libraries.documents.textContent({
    libraryId: libId, documentId: docId });
  const lib = await m.beta.libraries.get({ libraryId: libId });
  return g.libraryId === libId && l.pagination.totalItems === 1 &&
      t.text === "some text" && lib.nbDocuments === 1 || { d, g, l, t, lib };
});

await check("beta.libraries.documents.delete, beta.libraries.delete",
    async () => {
  await m.beta.libraries.documents.delete({ libraryId: libId,
    documentId: docId });
  const r = await m.beta.libraries.delete({ libraryId: libId });
  const l = await m.beta.libraries.list();
  return r.id === libId && !l.data.some((x) => x.id === libId) || l;
});

await check("audio.voices.create, list, get, delete", async () => {
  const c = await m.audio.voices.create({ name: "narrator",
    sampleAudio: "UklGRg==" });
  voiceId = c.id;
  const l = await m.audio.voices.list({ limit: 10, offset: 0 });
  const g = await m.audio.voices.get({ voiceId });
  const d = await m.audio.voices.delete({ voiceId });
  return uuid.test(c.id) && l.items.some((v) => v.id === voiceId) &&
      g.name === "narrator" && d.id === voiceId || { c, l, g, d };
});

const audio = { fileName: "a.wav", content: new Uint8Array(64) };
await check("audio.transcriptions.complete (multipart)", async () => {
  const r = await m.audio.transcriptions.complete({
    model: "voxtral-mini-latest", file: audio });
  return r.text === "Hello world." && r.usage.promptAudioSeconds === 2 || r;
});

await check("audio.transcriptions.stream", async () => {
  const types = [];
  let text = "";
  for await (const ev of await m.audio.transcriptions.stream({
    model: "voxtral-mini-latest", file: audio })) {
    types.push(ev.event);
    if (ev.event === "transcription.text.delta") text += ev.data.text;
  }
  return types.at(-1) === "transcription.done" && text === "Hello world." ||
      { types, text };
});

await throws("401 with a bad gateway key: SDKError status 401",
    () => new Mistral({ apiKey: "egk_bad", serverURL: url }).chat.complete(
        chatReq), (e) => e.statusCode === 401);

await throws("422 from the upstream: HTTPValidationError",
    () => m.chat.complete(chatReq, { headers: { "x-fake-status": "422" } }),
    (e) => e instanceof errors.HTTPValidationError && e.statusCode === 422);

await throws("429 from the upstream: SDKError 429 with Retry-After",
    () => m.chat.complete(chatReq, { headers: { "x-fake-status": "429" } }),
    (e) => e.statusCode === 429 && e.headers.get("retry-after") === "7");

await check("429 then 200: the SDK's retry honours Retry-After", async () => {
  const t0 = Date.now();
  const r = await m.chat.complete(chatReq, {
    headers: { "x-fake-429-once": "retry-1" },
    retries: { strategy: "backoff", backoff: { initialInterval: 10,
      maxInterval: 5000, exponent: 1.5, maxElapsedTime: 20000 },
      retryConnectionErrors: false },
    retryCodes: ["429"] });
  const waited = Date.now() - t0;
  return r.choices[0].message.content.startsWith("echo") && waited >= 900 ||
      { waited };
});

// With PII policy on: the upstream sees pseudonyms, the SDK the values.
if (piiKey) {
  const p = new Mistral({ apiKey: piiKey, serverURL: url });
  await check("chat.stream with PII: values restored in the stream", async () => {
    let text = "";
    for await (const ev of await p.chat.stream({ model: "mistral-small-latest",
      messages: [{ role: "user", content: "mail anna.schmidt@example.com" }] }))
      text += ev.data.choices[0].delta.content ?? "";
    return text.includes("anna.schmidt@example.com") || text;
  });
}

// The openai client on chat (stream and not), embeddings and models.
const o = new OpenAI({ apiKey: key, baseURL: url + "/v1", maxRetries: 0 });

await check("openai chat.completions.create", async () => {
  const r = await o.chat.completions.create({ model: "mistral-small-latest",
    messages: [{ role: "user", content: "hello" }] });
  return r.choices[0].message.content.startsWith("echo: hello") || r;
});

await check("openai chat.completions.create (stream)", async () => {
  let text = "";
  const s = await o.chat.completions.create({ model: "mistral-small-latest",
    messages: [{ role: "user", content: "hello" }], stream: true });
  for await (const c of s) text += c.choices[0]?.delta?.content ?? "";
  return text.startsWith("echo: hello") || text;
});

await check("openai embeddings.create", async () => {
  const r = await o.embeddings.create({ model: "mistral-embed", input: "a" });
  return r.data[0].embedding.length > 0 || r;
});

await check("openai models.list", async () => {
  const r = await o.models.list();
  return r.data.length > 0 || r;
});

console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
