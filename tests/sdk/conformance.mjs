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

await check("files.list", async () => {
  const r = await m.files.list();
  return r.data.length > 0 && r.data[0].sizeBytes === 42 || r;
});

await check("files.retrieve", async () => {
  const r = await m.files.retrieve({ fileId: "file-fake-1" });
  return r.id === "file-fake-1" || r;
});

await check("files.delete", async () => {
  const r = await m.files.delete({ fileId: "file-fake-1" });
  return r.deleted === true || r;
});

await throws("401 with a bad gateway key: SDKError status 401",
    () => new Mistral({ apiKey: "egk_bad", serverURL: url }).chat.complete(
        chatReq), (e) => e.statusCode === 401);

await throws("422 from the upstream: HTTPValidationError",
    () => m.chat.complete(chatReq, { headers: { "x-fake-status": "422" } }),
    (e) => e instanceof errors.HTTPValidationError && e.statusCode === 422);

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
