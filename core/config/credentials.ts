/**
 * `--user` / `--group`: who the workers run as. Names are looked up in
 * /etc/passwd and /etc/group (read through the runtime; no libc calls
 * exist in the runtimes), numeric ids are taken as they are. The master
 * keeps its own user: it binds (ports below 1024 included) and signals the
 * workers, as gunicorn's does.
 */

/** A user and group id for the workers, with the names for messages. */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  /** `tricorn (uid 998)`. */
  readonly userLabel: string;
  readonly groupLabel: string;
}

/** A `--user`/`--group` value that names nobody; the message is the one-line reason. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

/** Fields of the line in a colon-separated database whose first (name) or third (id) field is `key`. */
function lookup(database: string, key: string): string[] | null {
  for (const line of database.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 4 && (fields[0] === key || fields[2] === key)) return fields;
  }
  return null;
}

const isId = (value: string) => /^\d+$/.test(value);

/** Where and how `--user` and `--group` values are looked up. */
interface AccountKind {
  readonly flag: string;
  readonly noun: string;
  readonly file: string;
  readonly idName: string;
  readonly create: string;
}
const USER: AccountKind = { flag: "--user", noun: "user", file: "/etc/passwd", idName: "uid", create: "useradd" };
const GROUP: AccountKind = { flag: "--group", noun: "group", file: "/etc/group", idName: "gid", create: "groupadd" };

/** The id, label and database entry (null for an unknown numeric id) of `value`; throws for an unknown name. */
function account(kind: AccountKind, value: string, database: (path: string) => string): { id: number; label: string; entry: string[] | null } {
  const entry = lookup(database(kind.file), value);
  if (entry === null && !isId(value)) {
    throw new CredentialsError(`${kind.flag}: no ${kind.noun} ${JSON.stringify(value)} in ${kind.file}; create it (${kind.create} --system ${value}) or give a numeric id`);
  }
  const id = entry === null ? Number(value) : Number(entry[2]);
  return { id, label: entry === null ? `${kind.idName} ${id}` : `${entry[0]} (${kind.idName} ${id})`, entry };
}

/**
 * The workers' credentials for `user` and `group` (either may be null), or
 * null when neither is set. `read` returns a file's text (throws when it
 * cannot); `current` are the master's own ids, used for what is not given.
 */
export function resolveCredentials(
  user: string | null,
  group: string | null,
  read: (path: string) => string,
  current: { uid: number; gid: number },
): Credentials | null {
  if (user === null && group === null) return null;
  const database = (path: string) => {
    try {
      return read(path);
    } catch {
      return "";
    }
  };
  let uid = current.uid;
  let gid = current.gid;
  let userLabel = `uid ${uid}`;
  if (user !== null) {
    const found = account(USER, user, database);
    uid = found.id;
    userLabel = found.label;
    if (group === null) {
      if (found.entry === null) throw new CredentialsError(`--user ${user}: not in /etc/passwd, so its group is unknown; add --group`);
      gid = Number(found.entry[3]);
    }
  }
  let groupLabel = `gid ${gid}`;
  if (group !== null) {
    const found = account(GROUP, group, database);
    gid = found.id;
    groupLabel = found.label;
  } else {
    const entry = lookup(database(GROUP.file), String(gid));
    if (entry !== null) groupLabel = `${entry[0]} (gid ${gid})`;
  }
  return { uid, gid, userLabel, groupLabel };
}
