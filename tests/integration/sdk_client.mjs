// Runs one request with the unmodified openai SDK and prints what a user would see, as one JSON line:
// { content, headers, chunks, finish_reason, usage } or { error: { status, message } }. For tests that must
// call a node from inside a network namespace (`ip netns exec NS node sdk_client.mjs BASE_URL PARAMS_JSON`),
// or with a process environment of their own (OPENAI_API_KEY; NODE_EXTRA_CA_CERTS to trust a test CA).
import OpenAI from "openai";

const [baseURL, paramsText] = process.argv.slice(2);
const params = JSON.parse(paramsText);
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY || "unused", maxRetries: 0, timeout: 60000 });

try {
  const { data, response } = await client.chat.completions.create(params).withResponse();
  const headers = Object.fromEntries([...response.headers].filter(([k]) => k.startsWith("x-quorum")));
  if (params.stream) {
    let content = "";
    let chunks = 0;
    let finish_reason = null;
    let usage = null;
    for await (const chunk of data) {
      chunks++;
      content += chunk.choices[0]?.delta?.content ?? "";
      finish_reason = chunk.choices[0]?.finish_reason ?? finish_reason;
      usage = chunk.usage ?? usage;
    }
    console.log(JSON.stringify({ content, chunks, finish_reason, usage, headers }));
  } else {
    console.log(JSON.stringify({
      content: data.choices[0].message.content, finish_reason: data.choices[0].finish_reason,
      usage: data.usage, model: data.model, headers,
    }));
  }
} catch (e) {
  console.log(JSON.stringify({ error: { status: e.status ?? null, message: e.message } }));
}
