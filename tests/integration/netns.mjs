// Helpers for the tests that run nodes in network namespaces (they need root): HTTP calls made from inside a
// namespace with curl, and cluster peer proofs computed with node:crypto, independently of the node's own
// implementation (the protocol is in docs/api.md, "Requests between nodes").
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";

// curl from inside namespace `ns`; returns { status, body } (status 0 when nothing answered).
export function curlIn(ns, method, url, { headers = {}, body } = {}) {
  const args = ["netns", "exec", ns, "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", body);
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 20000 });
  const cut = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

// The four X-Quorum-* headers proving knowledge of the cluster secret `key` for one request.
export function peerHeaders(key, method, target, { body = "", node = "test-peer", time = Date.now() } = {}) {
  const nonce = crypto.randomBytes(16).toString("hex");
  const text = ["quorum-peer-v1", method, target, node, String(time), nonce,
    crypto.createHash("sha256").update(body).digest("hex")].join("\n");
  const proof = crypto.createHmac("sha256", key).update(text).digest("hex");
  return { "X-Quorum-Node": node, "X-Quorum-Time": String(time), "X-Quorum-Nonce": nonce, "X-Quorum-Proof": proof };
}
