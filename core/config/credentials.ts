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
    const entry = lookup(database("/etc/passwd"), user);
    if (entry === null && !isId(user)) throw new CredentialsError(`--user: no user ${JSON.stringify(user)} in /etc/passwd; create it (useradd --system ${user}) or give a numeric id`);
    uid = entry === null ? Number(user) : Number(entry[2]);
    userLabel = entry === null ? `uid ${uid}` : `${entry[0]} (uid ${uid})`;
    if (group === null) {
      if (entry === null) throw new CredentialsError(`--user ${user}: not in /etc/passwd, so its group is unknown; add --group`);
      gid = Number(entry[3]);
    }
  }
  let groupLabel = `gid ${gid}`;
  if (group !== null) {
    const entry = lookup(database("/etc/group"), group);
    if (entry === null && !isId(group)) throw new CredentialsError(`--group: no group ${JSON.stringify(group)} in /etc/group; create it (groupadd --system ${group}) or give a numeric id`);
    gid = entry === null ? Number(group) : Number(entry[2]);
    groupLabel = entry === null ? `gid ${gid}` : `${entry[0]} (gid ${gid})`;
  } else {
    const entry = lookup(database("/etc/group"), String(gid));
    if (entry !== null) groupLabel = `${entry[0]} (gid ${gid})`;
  }
  return { uid, gid, userLabel, groupLabel };
}
