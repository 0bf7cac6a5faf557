/**
 * TLS settings (`certfile`, `keyfile`, `ca_certs`, `cert_reqs`) turned into
 * the PEM texts a runtime listener needs ({@link TlsOptions}), with every
 * problem found before anything listens reported as one line naming the
 * file: missing or unreadable, not PEM, an encrypted key. What only the
 * runtime's TLS library can tell (key does not match the certificate) comes
 * back from `listen` and is put into words by {@link describeTlsError}.
 */

/** TLS material for a listener (PEM texts). */
export interface TlsOptions {
  /** Certificate chain, server certificate first. */
  cert: string;
  /** Unencrypted private key. */
  key: string;
  /** CA certificates for verifying client certificates; when set, clients are asked for one. */
  ca?: string;
  /** With `ca`: `required` refuses clients without a valid certificate; `optional` checks one only when sent. */
  clientCert?: "optional" | "required";
  /**
   * Milliseconds a client has to complete the handshake (`header_timeout`;
   * 0 = the runtime's default). Needed where the runtime hands a connection
   * over only after its handshake (Node), so core's head timeout cannot see it.
   */
  handshakeTimeoutMs?: number;
}

/** A TLS setting problem. `usage` errors are option combinations (exit 2); others are files (exit 1). */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

/**
 * The settings this module reads (a structural slice of the settings table in
 * core/config/settings.ts, declared here so net/ stays below config/).
 */
export interface TlsSettings {
  certfile: string | null;
  keyfile: string | null;
  ca_certs: string | null;
  cert_reqs: "none" | "optional" | "required";
  proxy_protocol: boolean;
  header_timeout?: number;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |DSA )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;
const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/;

const READ_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  NotFound: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  PermissionDenied: "permission denied",
  EISDIR: "is a directory",
  IsADirectory: "is a directory",
};

function readReason(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  for (const key of [e?.code, e?.name]) if (typeof key === "string" && READ_REASONS[key]) return READ_REASONS[key];
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (/is a directory/i.test(message)) return "is a directory";
  return message.split("\n")[0];
}

function readFile(read: (path: string) => string, setting: string, path: string): string {
  try {
    return read(path);
  } catch (error) {
    throw new TlsConfigError(`cannot read ${setting} ${JSON.stringify(path)}: ${readReason(error)}`, false);
  }
}

/**
 * Reads and checks the TLS files named by the settings. Returns undefined
 * when TLS is off (no certfile/keyfile). Throws {@link TlsConfigError}.
 * `read` reads a whole text file (the runtime's Platform.readTextFile).
 */
export function loadTlsOptions(read: (path: string) => string, settings: TlsSettings): TlsOptions | undefined {
  const { certfile, keyfile, ca_certs: caCerts } = settings;
  if (certfile === null && keyfile === null) {
    if (caCerts !== null) throw new TlsConfigError("--ca-certs needs --certfile and --keyfile", true);
    return undefined;
  }
  if (certfile === null) throw new TlsConfigError("--keyfile needs --certfile", true);
  if (keyfile === null) throw new TlsConfigError("--certfile needs --keyfile", true);
  if (settings.proxy_protocol) {
    // The PROXY header precedes the TLS handshake on the wire, but the runtimes
    // terminate TLS before core sees any byte: the header could never be read.
    throw new TlsConfigError("--proxy-protocol cannot be combined with --certfile (terminate TLS at the proxy instead)", true);
  }
  const cert = readFile(read, "certfile", certfile);
  if (!CERTIFICATE.test(cert)) {
    throw new TlsConfigError(`certfile ${JSON.stringify(certfile)} is not a PEM certificate (no BEGIN/END CERTIFICATE block)`, false);
  }
  const key = readFile(read, "keyfile", keyfile);
  if (ENCRYPTED.test(key)) {
    throw new TlsConfigError(`keyfile ${JSON.stringify(keyfile)} is encrypted; tricorn needs an unencrypted private key`, false);
  }
  if (!PRIVATE_KEY.test(key)) {
    throw new TlsConfigError(`keyfile ${JSON.stringify(keyfile)} is not a PEM private key (no BEGIN/END PRIVATE KEY block)`, false);
  }
  const options: TlsOptions = { cert, key };
  if (settings.header_timeout) options.handshakeTimeoutMs = Math.ceil(settings.header_timeout * 1000);
  if (caCerts !== null && settings.cert_reqs !== "none") {
    const ca = readFile(read, "ca_certs", caCerts);
    if (!CERTIFICATE.test(ca)) {
      throw new TlsConfigError(`ca_certs ${JSON.stringify(caCerts)} holds no PEM certificate (no BEGIN/END CERTIFICATE block)`, false);
    }
    options.ca = ca;
    options.clientCert = settings.cert_reqs;
  }
  return options;
}

/** Readable reasons for the TLS library errors a listener may throw. */
const TLS_REASONS: [RegExp, string][] = [
  [/KEY_VALUES_MISMATCH|key values mismatch|KeyMismatch|keys may not be consistent/i, "the private key does not match the certificate"],
  [/NO_START_LINE|no start line|No certificates found|DECODER routines|unsupported/i, "cannot decode the certificate or key"],
  [/Invalid CA|CA_MD_TOO_WEAK|ca md too weak/i, "invalid CA certificates"],
  [/EE_KEY_TOO_SMALL|ee key too small/i, "the key is too small for the TLS library's security level"],
];

/**
 * One-line reason for an error a runtime threw while setting up a TLS
 * listener, or null when it does not look like a TLS error (then it is a
 * bind error). Runtime sockets mark their own TLS limitations with a `code`
 * starting `ERR_TLS`.
 */
export function describeTlsError(error: unknown): string | null {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (code.startsWith("ERR_TLS")) return message.split("\n")[0];
  const tlsLike =
    code.startsWith("ERR_OSSL") || code.startsWith("ERR_SSL") || code === "ERR_BORINGSSL" || e?.name === "InvalidData" ||
    /certificate|private key|PEM|KeyMismatch|keys may not be consistent|routines/i.test(message);
  if (!tlsLike) return null;
  for (const [pattern, reason] of TLS_REASONS) if (pattern.test(message) || pattern.test(code)) return reason;
  // OpenSSL-style "error:0A00018F:SSL routines::ee key too small": keep the readable tail.
  const tail = /routines:[^:]*:+(.+)$/.exec(message.split("\n")[0]);
  return (tail ? tail[1] : message.split("\n")[0]).trim();
}
