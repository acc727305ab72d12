#!/usr/bin/env node
// Decode speed of an OpenAI-compatible engine, as a client sees it: N concurrent streaming chat completions
// (temperature 0, seed 1, ignore_eos, max_tokens M), after a warm-up so that model loading is not measured.
// Used by bench/engine.sh to compare the node's embedded engine with llama-server; works against any server
// that streams /v1/chat/completions and honours llama.cpp's "ignore_eos". Node 20, node:http only, with a new
// connection per stream (as quorum-load does), so no stream ever lands on a kept-alive connection that the
// server is closing.
//
//   node bench/engine_bench.mjs --url http://127.0.0.1:PORT --model ID [--streams N] [--max-tokens M]
//                               [--repeat R] [--label NAME] [--prompt TEXT] [--warmup-timeout S] [--timeout S]
//     Prints one JSON object on stdout (the runs, every stream's figures, and medians); progress and errors on
//     stderr. Exit status 1 if any request failed or returned fewer tokens than asked.
//
//   node bench/engine_bench.mjs --table [--baseline LABEL] [--summary OUT] FILE...
//     Reads JSON objects written by the mode above (several per label and stream count: the rounds) and prints
//     a Markdown table of medians, with a ratio row of every other label to the baseline. --summary writes the
//     same medians as JSON to OUT: {"<streams>": {"<label>": {decode, aggregate, ttft, runs}}}.
//
// Per stream: TTFT = from just before the request is sent to the first chunk with non-empty delta.content;
// decode tokens/s = (completion_tokens - 1) / (t_last_token - t_first_token), completion_tokens from the
// final usage chunk (stream_options.include_usage); per run: aggregate tokens/s = sum of completion_tokens
// / wall time from the first request sent to the last stream ended. Each request's prompt starts with a
// fresh 6-digit number, so no server can answer it from a cached prefix of an earlier one.
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { parseArgs } from "node:util";

const now = () => performance.now();
const log = (...a) => console.error("engine_bench:", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

let nonce = Math.floor(Math.random() * 900000);
const nextNonce = () => String(100000 + (nonce++ % 900000));

// One streaming request; resolves with its figures, or throws with what went wrong.
async function stream({ url, model, maxTokens, prompt, timeoutMs }) {
  const body = {
    model,
    messages: [{ role: "user", content: `${nextNonce()} ${prompt}` }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
    seed: 1,
    ignore_eos: true,
  };
  const payload = JSON.stringify(body);
  const t0 = now();
  const res = await new Promise((resolve, reject) => {
    const req = (url.startsWith("https:") ? https : http).request(`${url}/v1/chat/completions`, {
      method: "POST",
      agent: false, // a new connection per stream: no reuse of a connection the server is closing
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        "content-length": Buffer.byteLength(payload),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on("response", resolve);
    req.on("error", reject);
    req.end(payload);
  });
  res.setEncoding("utf8");
  if (res.statusCode !== 200) {
    let text = "";
    for await (const d of res) text += d;
    throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  }
  let tFirst = null;
  let tLast = null;
  let chunks = 0;
  let chars = 0;
  let usage = null;
  let timings = null;
  let done = false;
  let finish = null;
  const onData = (data) => {
    if (data === "[DONE]") {
      done = true;
      return;
    }
    let ev;
    try {
      ev = JSON.parse(data);
    } catch {
      throw new Error(`not JSON in the stream: ${data.slice(0, 200)}`);
    }
    if (ev.error) throw new Error(`error in the stream: ${JSON.stringify(ev.error).slice(0, 300)}`);
    const choice = ev.choices?.[0];
    const content = choice?.delta?.content;
    if (typeof content === "string" && content.length > 0) {
      const t = now();
      tFirst ??= t;
      tLast = t;
      chunks++;
      chars += content.length;
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (ev.usage) usage = ev.usage;
    if (ev.timings) timings = ev.timings; // llama-server's own figures, when it sends them
  };
  let buffer = "";
  try {
    for await (const text of res) {
      buffer += text;
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const lines = block.split(/\r?\n/).filter((l) => l.startsWith("data:"));
        if (lines.length) onData(lines.map((l) => l.slice(5).replace(/^ /, "")).join("\n"));
      }
    }
  } catch (e) {
    res.destroy();
    throw e;
  }
  const tEnd = now();
  if (!done) throw new Error("the stream ended without [DONE]");
  if (tFirst === null) throw new Error("no content in the stream");
  if (!usage || !Number.isFinite(usage.completion_tokens)) throw new Error("no usage chunk in the stream");
  const n = usage.completion_tokens;
  const decodeMs = tLast - tFirst;
  return {
    ttft_ms: tFirst - t0,
    decode_tps: n > 1 && decodeMs > 0 ? ((n - 1) * 1000) / decodeMs : null,
    completion_tokens: n,
    prompt_tokens: usage.prompt_tokens ?? null,
    content_chunks: chunks,
    content_chars: chars,
    finish_reason: finish,
    total_ms: tEnd - t0,
    t_start: t0,
    t_end: tEnd,
    ...(Number.isFinite(timings?.predicted_per_second) ? { server_decode_tps: timings.predicted_per_second } : {}),
  };
}

// N streams at once; every stream's figures plus the run's wall time and aggregate rate.
async function run(opts, n) {
  const t0 = now();
  const settled = await Promise.allSettled(Array.from({ length: n }, () => stream(opts)));
  const wall = now() - t0;
  const streams = [];
  const errors = [];
  for (const s of settled) {
    if (s.status === "rejected") errors.push(s.reason?.message ?? String(s.reason));
    else {
      const { t_start, t_end, ...figures } = s.value;
      streams.push(figures);
      if (figures.completion_tokens !== opts.maxTokens)
        errors.push(`${figures.completion_tokens} completion tokens instead of ${opts.maxTokens}` +
          " (ignore_eos not honoured?)");
    }
  }
  const tokens = streams.reduce((a, s) => a + s.completion_tokens, 0);
  return { wall_ms: wall, completion_tokens: tokens, aggregate_tps: (tokens * 1000) / wall, streams, errors };
}

// Retries one short request until the server answers it (the model may still be loading), then, for several
// streams, one concurrent round of short requests so every slot has run once.
async function warmUp(opts, n, deadlineMs) {
  const t0 = now();
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await stream({ ...opts, maxTokens: 8 });
      break;
    } catch (e) {
      if (now() - t0 > deadlineMs)
        throw new Error(`warm-up failed for ${Math.round(deadlineMs / 1000)} s: ${e.message}`);
      if (attempts === 1 || attempts % 20 === 0) log(`warm-up: ${e.message}; retrying`);
      await sleep(250);
    }
  }
  if (n > 1) {
    const r = await run({ ...opts, maxTokens: 8 }, n);
    if (r.streams.length !== n) throw new Error(`concurrent warm-up failed: ${r.errors.join("; ")}`);
  }
  return { ms: now() - t0, attempts };
}

async function measure(argv) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      model: { type: "string" },
      streams: { type: "string", default: "1" },
      "max-tokens": { type: "string", default: "256" },
      repeat: { type: "string", default: "1" },
      label: { type: "string", default: "" },
      prompt: { type: "string", default: "Write a short story about a lighthouse keeper." },
      "warmup-timeout": { type: "string", default: "120" },
      timeout: { type: "string", default: "600" },
    },
  });
  if (!v.url || !v.model) throw new Error("--url and --model are required");
  const n = Number(v.streams);
  const repeat = Number(v.repeat);
  const opts = {
    url: v.url.replace(/\/+$/, "").replace(/\/v1$/, ""),
    model: v.model,
    maxTokens: Number(v["max-tokens"]),
    prompt: v.prompt,
    timeoutMs: Number(v.timeout) * 1000,
  };
  for (const [k, x] of [["streams", n], ["repeat", repeat], ["max-tokens", opts.maxTokens]])
    if (!Number.isInteger(x) || x < 1) throw new Error(`--${k} must be a positive integer`);
  if (opts.maxTokens < 2) throw new Error("--max-tokens must be at least 2 (decode rate needs two tokens)");

  const warmup = await warmUp(opts, n, Number(v["warmup-timeout"]) * 1000);
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const r = await run(opts, n);
    runs.push(r);
    log(`${v.label || opts.url} streams=${n} run ${i + 1}/${repeat}: aggregate ${r.aggregate_tps.toFixed(1)} tok/s` +
      (r.errors.length ? `, ${r.errors.length} error(s): ${r.errors[0]}` : ""));
  }
  const all = runs.flatMap((r) => r.streams);
  const out = {
    label: v.label,
    url: opts.url,
    model: opts.model,
    streams: n,
    max_tokens: opts.maxTokens,
    repeat,
    warmup,
    summary: {
      decode_tps_median: median(all.map((s) => s.decode_tps)),
      aggregate_tps_median: median(runs.map((r) => r.aggregate_tps)),
      ttft_ms_median: median(all.map((s) => s.ttft_ms)),
      prompt_tokens: median(all.map((s) => s.prompt_tokens)),
      server_decode_tps_median: median(all.map((s) => s.server_decode_tps)),
      errors: runs.reduce((a, r) => a + r.errors.length, 0),
    },
    runs,
  };
  console.log(JSON.stringify(out, null, 2));
  return out.summary.errors ? 1 : 0;
}

function table(argv) {
  const { values: v, positionals: files } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { table: { type: "boolean" }, baseline: { type: "string" }, summary: { type: "string" } },
  });
  const groups = new Map(); // label -> streams -> {streams: [], runs: []}
  const labels = [];
  const counts = new Set();
  for (const f of files) {
    const r = JSON.parse(readFileSync(f, "utf8"));
    if (!groups.has(r.label)) {
      groups.set(r.label, new Map());
      labels.push(r.label);
    }
    const byN = groups.get(r.label);
    if (!byN.has(r.streams)) byN.set(r.streams, { streams: [], runs: [] });
    const g = byN.get(r.streams);
    for (const run of r.runs) {
      g.runs.push(run);
      g.streams.push(...run.streams);
    }
    counts.add(r.streams);
  }
  const baseline = v.baseline ?? labels[0];
  const stat = (label, n) => {
    const g = groups.get(label)?.get(n);
    if (!g) return null;
    return {
      decode: median(g.streams.map((s) => s.decode_tps)),
      aggregate: median(g.runs.map((r) => r.aggregate_tps)),
      ttft: median(g.streams.map((s) => s.ttft_ms)),
      prompt: median(g.streams.map((s) => s.prompt_tokens)),
      runs: g.runs.length,
    };
  };
  const fmt = (x, d = 1) => (x === null || x === undefined ? "—" : x.toFixed(d));
  const ratio = (a, b) => (a === null || b === null || !b ? "—" : `${(a / b).toFixed(2)}×`);
  const lines = [
    "| target | streams | decode tok/s per stream (median) | aggregate tok/s (median) | TTFT ms (median) | runs |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  const summary = {};
  for (const n of [...counts].sort((a, b) => a - b)) {
    summary[n] = {};
    for (const l of labels) {
      const s = stat(l, n);
      if (!s) continue;
      summary[n][l] = s;
      lines.push(`| ${l} | ${n} | ${fmt(s.decode)} | ${fmt(s.aggregate)} | ${fmt(s.ttft)} | ${s.runs} |`);
    }
    const b = stat(baseline, n);
    for (const l of labels) {
      if (l === baseline) continue;
      const s = stat(l, n);
      if (!s || !b) continue;
      lines.push(`| ${l} / ${baseline} | ${n} | ${ratio(s.decode, b.decode)} | ${ratio(s.aggregate, b.aggregate)} | ` +
        `${ratio(s.ttft, b.ttft)} | |`);
      if (s.prompt !== b.prompt)
        log(`warning: ${l} and ${baseline} saw different prompt sizes (${s.prompt} vs ${b.prompt} tokens)`);
    }
  }
  console.log(lines.join("\n"));
  if (v.summary) writeFileSync(v.summary, JSON.stringify(summary, null, 2));
  return 0;
}

const argv = process.argv.slice(2);
try {
  process.exitCode = argv.includes("--table") ? table(argv) : await measure(argv);
} catch (e) {
  log(`error: ${e.message}`);
  process.exitCode = 2;
}
