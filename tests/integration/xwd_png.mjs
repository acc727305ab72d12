// Screenshots for the desktop test without ImageMagick: reads an X window dump (`xwd -root`, TrueColor
// ZPixmap, as Xvfb writes it) and writes it as a PNG, and says how many colours it has (a blank screen has one).
import zlib from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// Decodes an XWD dump into { width, height, rgb } (3 bytes per pixel, rows top to bottom).
export function decodeXwd(buf) {
  const f = (i) => buf.readUInt32BE(i * 4);
  const [headerSize, , format, , width, height, , byteOrder, , , , bitsPerPixel, bytesPerLine] =
    Array.from({ length: 13 }, (_, i) => f(i));
  const [redMask, greenMask, blueMask] = [f(14), f(15), f(16)];
  const ncolors = f(19);
  if (format !== 2 || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) {
    throw new Error(`xwd: only ZPixmap TrueColor dumps (format ${format}, ${bitsPerPixel} bits per pixel)`);
  }
  const shift = (mask) => 31 - Math.clz32(mask & -mask);
  const [rs, gs, bs] = [shift(redMask), shift(greenMask), shift(blueMask)];
  const data = headerSize + ncolors * 12;
  const bytes = bitsPerPixel / 8;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = data + y * bytesPerLine + x * bytes;
      let p = 0;
      for (let k = 0; k < bytes; k++) {
        p += buf[at + (byteOrder === 0 ? k : bytes - 1 - k)] * 2 ** (8 * k);
      }
      const o = (y * width + x) * 3;
      rgb[o] = (p & redMask) >>> rs;
      rgb[o + 1] = (p & greenMask) >>> gs;
      rgb[o + 2] = (p & blueMask) >>> bs;
    }
  }
  return { width, height, rgb };
}

// The PNG (8-bit RGB) of a decoded image.
export function encodePng({ width, height, rgb }) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// How many distinct colours the rectangle { x, y, width, height } of a decoded image has (counting stops at
// `limit`).
export function colourCount({ width, rgb }, rect, limit = 1000) {
  const seen = new Set();
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const o = (y * width + x) * 3;
      seen.add((rgb[o] << 16) | (rgb[o + 1] << 8) | rgb[o + 2]);
      if (seen.size >= limit) return seen.size;
    }
  }
  return seen.size;
}
