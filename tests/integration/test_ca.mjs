// A throwaway certificate authority made with the `openssl` command, for tests of TLS with certificates (the
// relay's built-in TLS): a CA in a temporary directory, and server certificates it signs, with the serial
// number and subject alternative names a test asks for. remove() deletes the directory.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

function openssl(...args) {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export class TestCa {
  constructor(name = "Quorum Test CA") {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-test-ca-"));
    this.key = path.join(this.dir, "ca.key");
    this.cert = path.join(this.dir, "ca.pem");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", this.key,
      "-out", this.cert, "-days", "2", "-subj", `/CN=${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  }

  // A certificate and key for `san` (e.g. "IP:127.0.0.1"), serial `serial` (hex), as <name>.pem and
  // <name>.key in the CA's directory: { cert, key, serialNumber, fingerprint256 } (as Node's TLS reports
  // a peer's certificate).
  issue(name, { serial, san = "IP:127.0.0.1" }) {
    const key = path.join(this.dir, `${name}.key`);
    const csr = path.join(this.dir, `${name}.csr`);
    const cert = path.join(this.dir, `${name}.pem`);
    const ext = path.join(this.dir, `${name}.ext`);
    fs.writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nsubjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
      "-out", csr, "-subj", `/CN=${name}`);
    openssl("x509", "-req", "-in", csr, "-CA", this.cert, "-CAkey", this.key, "-set_serial", `0x${serial}`,
      "-days", "1", "-sha256", "-extfile", ext, "-out", cert);
    const x509 = new crypto.X509Certificate(fs.readFileSync(cert));
    return { cert, key, serialNumber: x509.serialNumber, fingerprint256: x509.fingerprint256 };
  }

  remove() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
