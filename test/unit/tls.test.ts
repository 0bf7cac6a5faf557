import { describe, expect, it } from "vitest";
import { TlsConfigError, describeTlsError, loadTlsOptions, type TlsSettings } from "../../core/net/tls.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const RSA_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";

const files: Record<string, string> = {
  "cert.pem": CERT,
  "chain.pem": CERT + CERT,
  "key.pem": KEY,
  "rsa.pem": RSA_KEY,
  "ec.pem": "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n",
  "enc.pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n",
  "legacy-enc.pem": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nabc\n-----END RSA PRIVATE KEY-----\n",
  "text.txt": "hello\n",
  "half.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n",
};

function read(path: string): string {
  if (path === "dir") throw Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: "EISDIR" });
  if (path === "secret") throw Object.assign(new Error("EACCES: permission denied, open 'secret'"), { code: "EACCES" });
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  return text;
}

const settings = (over: Partial<TlsSettings>): TlsSettings => ({
  certfile: null,
  keyfile: null,
  ca_certs: null,
  cert_reqs: "required",
  proxy_protocol: false,
  ...over,
});

function failure(over: Partial<TlsSettings>): TlsConfigError {
  try {
    loadTlsOptions(read, settings(over));
  } catch (error) {
    expect(error).toBeInstanceOf(TlsConfigError);
    return error as TlsConfigError;
  }
  throw new Error("expected a TlsConfigError");
}

describe("loadTlsOptions", () => {
  it("is off without certfile and keyfile", () => {
    expect(loadTlsOptions(read, settings({}))).toBeUndefined();
  });
  it("reads certificate chain and key", () => {
    expect(loadTlsOptions(read, settings({ certfile: "chain.pem", keyfile: "key.pem" }))).toEqual({ cert: CERT + CERT, key: KEY });
    expect(loadTlsOptions(read, settings({ certfile: "cert.pem", keyfile: "rsa.pem" }))?.key).toBe(RSA_KEY);
    expect(loadTlsOptions(read, settings({ certfile: "cert.pem", keyfile: "ec.pem" }))?.key).toContain("EC PRIVATE KEY");
  });
  it("bounds the handshake by header_timeout", () => {
    expect(loadTlsOptions(read, { ...settings({ certfile: "cert.pem", keyfile: "key.pem" }), header_timeout: 2.5 })?.handshakeTimeoutMs).toBe(2500);
    expect(loadTlsOptions(read, { ...settings({ certfile: "cert.pem", keyfile: "key.pem" }), header_timeout: 0 })?.handshakeTimeoutMs).toBeUndefined();
  });
  it("adds the CA and the client-certificate policy", () => {
    expect(loadTlsOptions(read, settings({ certfile: "cert.pem", keyfile: "key.pem", ca_certs: "cert.pem" }))).toEqual({
      cert: CERT,
      key: KEY,
      ca: CERT,
      clientCert: "required",
    });
    expect(loadTlsOptions(read, settings({ certfile: "cert.pem", keyfile: "key.pem", ca_certs: "cert.pem", cert_reqs: "optional" }))?.clientCert).toBe(
      "optional",
    );
    // cert_reqs none: the CA file is not even read.
    expect(loadTlsOptions(read, settings({ certfile: "cert.pem", keyfile: "key.pem", ca_certs: "missing", cert_reqs: "none" }))).toEqual({
      cert: CERT,
      key: KEY,
    });
  });
  it.each([
    [{ keyfile: "key.pem" }, "--keyfile needs --certfile"],
    [{ certfile: "cert.pem" }, "--certfile needs --keyfile"],
    [{ ca_certs: "cert.pem" }, "--ca-certs needs --certfile and --keyfile"],
    [{ certfile: "cert.pem", keyfile: "key.pem", proxy_protocol: true }, "--proxy-protocol cannot be combined with --certfile (terminate TLS at the proxy instead)"],
  ])("usage error for %j", (over, message) => {
    const error = failure(over);
    expect(error.message).toBe(message);
    expect(error.usage).toBe(true);
  });
  it.each([
    [{ certfile: "nope.pem", keyfile: "key.pem" }, 'cannot read certfile "nope.pem": no such file or directory'],
    [{ certfile: "cert.pem", keyfile: "secret" }, 'cannot read keyfile "secret": permission denied'],
    [{ certfile: "dir", keyfile: "key.pem" }, 'cannot read certfile "dir": is a directory'],
    [{ certfile: "text.txt", keyfile: "key.pem" }, 'certfile "text.txt" is not a PEM certificate (no BEGIN/END CERTIFICATE block)'],
    [{ certfile: "half.pem", keyfile: "key.pem" }, 'certfile "half.pem" is not a PEM certificate (no BEGIN/END CERTIFICATE block)'],
    [{ certfile: "cert.pem", keyfile: "cert.pem" }, 'keyfile "cert.pem" is not a PEM private key (no BEGIN/END PRIVATE KEY block)'],
    [{ certfile: "cert.pem", keyfile: "enc.pem" }, 'keyfile "enc.pem" is encrypted; tricorn needs an unencrypted private key'],
    [{ certfile: "cert.pem", keyfile: "legacy-enc.pem" }, 'keyfile "legacy-enc.pem" is encrypted; tricorn needs an unencrypted private key'],
    [{ certfile: "cert.pem", keyfile: "key.pem", ca_certs: "key.pem" }, 'ca_certs "key.pem" holds no PEM certificate (no BEGIN/END CERTIFICATE block)'],
    [{ certfile: "cert.pem", keyfile: "key.pem", ca_certs: "gone" }, 'cannot read ca_certs "gone": no such file or directory'],
  ])("file error for %j", (over, message) => {
    const error = failure(over);
    expect(error.message).toBe(message);
    expect(error.usage).toBe(false);
  });
});

describe("describeTlsError", () => {
  it("words the errors runtimes throw for bad certificate/key pairs", () => {
    const node = Object.assign(new Error("error:05800074:x509 certificate routines::key values mismatch"), { code: "ERR_OSSL_X509_KEY_VALUES_MISMATCH" });
    const bun = Object.assign(new Error("error:0b000074:X.509 certificate routines:OPENSSL_internal:KEY_VALUES_MISMATCH"), { code: "ERR_OSSL_X509_KEY_VALUES_MISMATCH" });
    const deno = new Error("keys may not be consistent: KeyMismatch");
    for (const error of [node, bun, deno]) expect(describeTlsError(error)).toBe("the private key does not match the certificate");
    const decode = Object.assign(new Error("error:1E08010C:DECODER routines::unsupported"), { code: "ERR_OSSL_UNSUPPORTED" });
    expect(describeTlsError(decode)).toBe("cannot decode the certificate or key");
    const denoData = Object.assign(new Error("No certificates found in certificate data"), { name: "InvalidData" });
    expect(describeTlsError(denoData)).toBe("cannot decode the certificate or key");
  });
  it("keeps the readable tail of other OpenSSL errors", () => {
    const error = Object.assign(new Error("error:0A00018F:SSL routines::something odd"), { code: "ERR_SSL_SOMETHING" });
    expect(describeTlsError(error)).toBe("something odd");
  });
  it("passes runtime limitation messages through", () => {
    const error = Object.assign(new Error("client certificates are not supported here"), { code: "ERR_TLS_UNSUPPORTED" });
    expect(describeTlsError(error)).toBe("client certificates are not supported here");
  });
  it("returns null for bind errors", () => {
    expect(describeTlsError(Object.assign(new Error("listen EADDRINUSE: address already in use"), { code: "EADDRINUSE" }))).toBeNull();
    expect(describeTlsError(Object.assign(new Error("Address already in use (os error 98)"), { name: "AddrInUse" }))).toBeNull();
    expect(describeTlsError(new Error("permission denied"))).toBeNull();
  });
});
