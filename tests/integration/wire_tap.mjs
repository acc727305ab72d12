// A TCP relay that sits on the wire between two nodes, as anyone on the LAN could: it listens on
// LISTEN_HOST:LISTEN_PORT, forwards each connection to TARGET_HOST:TARGET_PORT, and appends every byte it
// carries to DIR/up.bin (client to server) and DIR/down.bin (server to client). Sent "tamper on" / "tamper
// off" on stdin, it flips one bit in every piece it carries from the server to the client while on, so the
// test can check that an altered stream fails instead of changing an answer.
// Run as a program (inside a namespace): node wire_tap.mjs '{"listen":[host,port],"target":[host,port],"dir"}';
// prints "ready" once it listens, and "tamper on"/"tamper off" when it has switched.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";

const { listen, target, dir } = JSON.parse(process.argv[2]);
let tamper = false;
let tampered = 0;
const server = net.createServer((client) => {
  const upstream = net.connect({ host: target[0], port: target[1] });
  client.on("data", (d) => {
    fs.appendFileSync(path.join(dir, "up.bin"), d);
    upstream.write(d);
  });
  upstream.on("data", (d) => {
    fs.appendFileSync(path.join(dir, "down.bin"), d);
    if (tamper) {
      d = Buffer.from(d);
      d[d.length - 1] ^= 0x01;
      tampered++;
    }
    client.write(d);
  });
  client.on("end", () => upstream.end());
  upstream.on("end", () => client.end());
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
});
server.listen(listen[1], listen[0], () => console.log("ready"));
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  tamper = line.trim() === "tamper on";
  console.log(tamper ? "tamper on" : `tamper off after ${tampered}`);
});
process.on("SIGTERM", () => process.exit(0));
