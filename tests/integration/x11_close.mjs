// Closes an X window the way a window manager does when the user clicks its close button: a WM_DELETE_WINDOW
// client message (ICCCM), sent over the X protocol on the display's local socket. xdotool's `windowclose`
// destroys the window from outside instead, which GTK treats as a fatal X error, not as a user's close.
import net from "node:net";

const pad4 = (n) => (4 - (n % 4)) % 4;

// Sends requests and reads the setup reply and then one 32-byte reply (or error) per request that has one.
class X11 {
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.pump();
    });
    socket.on("error", (e) => this.waiters.splice(0).forEach((w) => w.reject(e)));
  }
  pump() {
    while (this.waiters.length) {
      const w = this.waiters[0];
      const need = w.size(this.buf);
      if (need === null || this.buf.length < need) return;
      this.waiters.shift();
      const msg = this.buf.subarray(0, need);
      this.buf = this.buf.subarray(need);
      w.resolve(msg);
    }
  }
  expect(size) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ size, resolve, reject });
      this.pump();
    });
  }
}

function request(opcode, data1, body) {
  const head = Buffer.alloc(4);
  head.writeUInt8(opcode, 0);
  head.writeUInt8(data1, 1);
  head.writeUInt16LE((4 + body.length) / 4, 2);
  return Buffer.concat([head, body]);
}

async function internAtom(x, name) {
  const body = Buffer.alloc(4 + name.length + pad4(name.length));
  body.writeUInt16LE(name.length, 0);
  body.write(name, 4, "latin1");
  const reply = x.expect((b) => (b.length >= 32 ? 32 : null));
  x.socket.write(request(16, 0, body));
  const r = await reply;
  if (r[0] !== 1) throw new Error(`InternAtom ${name}: X error ${r[1]}`);
  return r.readUInt32LE(8);
}

// Asks window `windowId` (a number) on display `display` (":N") to close, as the user's close button would.
export async function closeWindow(display, windowId) {
  const n = display.replace(/^:/, "").split(".")[0];
  const socket = net.createConnection(`/tmp/.X11-unix/X${n}`);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const x = new X11(socket);
  try {
    const setup = x.expect((b) => (b.length >= 8 ? 8 + b.readUInt16LE(6) * 4 : null));
    socket.write(Buffer.from([0x6c, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0])); // little-endian, X11.0, no auth
    const s = await setup;
    if (s[0] !== 1) throw new Error(`X connection to ${display} refused`);
    const protocols = await internAtom(x, "WM_PROTOCOLS");
    const del = await internAtom(x, "WM_DELETE_WINDOW");
    const event = Buffer.alloc(32);
    event.writeUInt8(33, 0); // ClientMessage
    event.writeUInt8(32, 1); // format: 32-bit data
    event.writeUInt32LE(windowId, 4);
    event.writeUInt32LE(protocols, 8);
    event.writeUInt32LE(del, 12);
    const body = Buffer.alloc(8);
    body.writeUInt32LE(windowId, 0); // destination; event mask 0: to the window's owner
    socket.write(request(25, 0, Buffer.concat([body, event])));
    // A round trip (InternAtom again) proves the server took the SendEvent before the socket closes.
    await internAtom(x, "WM_PROTOCOLS");
  } finally {
    socket.destroy();
  }
}
