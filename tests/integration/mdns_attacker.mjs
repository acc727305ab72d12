// A hostile host on the LAN, for mdns_flood.test.mjs: raw mDNS packets written here (an encoder independent
// of the node's own), sent at a chosen rate from inside a network namespace with node's dgram, and a TCP
// listener that counts the connections made to the address the forged announcements name.
//
// Run as a program (inside the attacker's namespace): `node mdns_attacker.mjs '<json>'` with
//   { mode: "announce" | "query" | "goodbye" | "once", perSecond, seconds, fingerprint, version, bind, port,
//     address, id, to, listen }
// It prints "ready" once its sockets are open, then one JSON line at the end:
//   { sent, connections: { "<source address>": count }, answers: { "<source address>": count } }
// (connections: made to the listener; answers: mDNS responses heard).
import dgram from "node:dgram";
import net from "node:net";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

const GROUP = "224.0.0.251";
const PORT = 5353;

function name(text) {
  const parts = [];
  for (const label of text.split(".")) {
    const b = Buffer.from(label, "utf8");
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function u16(v) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

function record(owner, type, cacheFlush, ttl, rdata) {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(cacheFlush ? 0x8001 : 0x0001, 2);
  head.writeUInt32BE(ttl, 4);
  return Buffer.concat([name(owner), head, u16(rdata.length), rdata]);
}

function header({ response, questions = 0, answers = 0 }) {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(response ? 0x8400 : 0, 2);
  h.writeUInt16BE(questions, 4);
  h.writeUInt16BE(answers, 6);
  return h;
}

// The records a Quorum node announces (docs/api.md): PTR, SRV, TXT and A, all in the answer section.
export function announcement({ id, name: friendly = id, fingerprint, version = "0.0.0", port, address, ttl = 120 }) {
  const instance = `${id}._quorum._tcp.local`;
  const host = `${id}.local`;
  const txt = Buffer.concat([`id=${id}`, `v=${version}`, `c=${fingerprint}`, `n=${friendly}`].map((s) => {
    const b = Buffer.from(s, "utf8");
    return Buffer.concat([Buffer.from([b.length]), b]);
  }));
  const srv = Buffer.concat([u16(0), u16(0), u16(port), name(host)]);
  const a = Buffer.from(address.split(".").map(Number));
  return Buffer.concat([
    header({ response: true, answers: 4 }),
    record("_quorum._tcp.local", 12, false, ttl === 0 ? 0 : 4500, name(instance)),
    record(instance, 33, true, ttl, srv),
    record(instance, 16, true, ttl, txt),
    record(host, 1, true, ttl, a),
  ]);
}

// A browse query: PTR _quorum._tcp.local.
export function browseQuery() {
  return Buffer.concat([header({ response: false, questions: 1 }), name("_quorum._tcp.local"), u16(12), u16(1)]);
}

async function main(cmd) {
  const result = { sent: 0, connections: {}, answers: {} };
  let listener;
  if (cmd.listen) {
    const held = new Set();
    listener = net.createServer((socket) => {
      // Hold it open without a word: a heartbeat here waits for its timeout, as at a blackholed address.
      const from = socket.remoteAddress.replace(/^::ffff:/, "");
      result.connections[from] = (result.connections[from] ?? 0) + 1;
      held.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => held.delete(socket));
      socket.resume();
    });
    listener.closeAll = () => {
      for (const s of held) s.destroy();
    };
    await new Promise((r) => listener.listen(cmd.port, cmd.bind, r));
  }
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
  socket.on("message", (msg, rinfo) => {
    if (msg.length >= 12 && msg[2] & 0x80) result.answers[rinfo.address] = (result.answers[rinfo.address] ?? 0) + 1;
  });
  await new Promise((r) => socket.bind(cmd.mode === "once" ? 0 : PORT, cmd.mode === "once" ? cmd.bind : undefined, r));
  if (cmd.mode !== "once") {
    socket.addMembership(GROUP, cmd.bind);
    socket.setMulticastInterface(cmd.bind);
    socket.setMulticastTTL(255);
  }
  const send = (packet, host = GROUP) => new Promise((r) => socket.send(packet, PORT, host, (err) => {
    if (!err) result.sent++;
    r();
  }));
  console.log("ready");
  const packet = () => {
    switch (cmd.mode) {
      case "announce":
        return announcement({ id: `forged-${crypto.randomBytes(8).toString("hex")}`, name: "forged",
          fingerprint: cmd.fingerprint, version: cmd.version, port: cmd.port, address: cmd.address });
      case "goodbye":
        return announcement({ id: cmd.id, fingerprint: cmd.fingerprint, version: cmd.version, port: cmd.port,
          address: cmd.address, ttl: 0 });
      default:
        return browseQuery();
    }
  };
  if (cmd.mode === "once") {
    await send(announcement({ id: cmd.id, fingerprint: cmd.fingerprint, version: cmd.version, port: cmd.port,
      address: cmd.address }), cmd.to);
  } else {
    // perSecond packets a second for `seconds`: every few ms, as many as the schedule is behind.
    const start = Date.now();
    const end = start + cmd.seconds * 1000;
    let queued = 0;
    while (Date.now() < end) {
      const behind = Math.floor(((Date.now() - start) / 1000) * cmd.perSecond) - queued;
      const sends = [];
      for (let i = 0; i < behind; i++) sends.push(send(packet()));
      queued += Math.max(0, behind);
      await Promise.all(sends);
      await new Promise((r) => setTimeout(r, 2)); // pacing the generator, not synchronisation
    }

    // Answers to the last queries may come up to a second later.
    await new Promise((r) => setTimeout(r, 1500));
  }
  socket.close();
  if (listener) {
    listener.closeAll();
    listener.close();
  }
  console.log(JSON.stringify(result));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(JSON.parse(process.argv[2]));
