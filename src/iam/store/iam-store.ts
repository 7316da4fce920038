/**
 * The endpoint's store: one SQLite database (better-sqlite3) in WAL mode. Every API call runs
 * as one transaction (`write` takes the write lock first, BEGIN IMMEDIATE, so read-check-update
 * sequences such as "is this code's step above the last accepted one" are atomic even across
 * processes sharing the file); `durable()` resolves when every commit so far is on disk (group
 * commit, see group-commit.ts). Nothing here knows the wire: rows in, rows out.
 *
 * @example
 * ```ts
 * const store = IamStore.open('/var/lib/tokenrig-iam');
 * store.write(() => store.insertUser({ userName: 'alice', userId, path: '/', createDate: now, tags: '[]' }));
 * await store.durable();
 * ```
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { WalGroupCommit } from './group-commit.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

export interface UserRow {
  userName: string;
  userId: string;
  path: string;
  createDate: number;
  tags: string;
}
export interface AccessKeyRow {
  accessKeyId: string;
  secret: string;
  /** null: the root user's key. */
  userName: string | null;
  status: 'Active' | 'Inactive';
  createDate: number;
}
export interface LoginProfileRow {
  userName: string;
  passwordHash: string;
  resetRequired: number;
  createDate: number;
}
export interface MfaDeviceRow {
  serial: string;
  kind: 'virtual' | 'hardware';
  name: string | null;
  path: string | null;
  secret: Uint8Array;
  algorithm: string;
  digits: number;
  period: number;
  userName: string | null;
  enableDate: number | null;
  lastStep: number | null;
  stepOffset: number;
  createDate: number;
  tags: string;
}
export interface RoleRow {
  roleName: string;
  roleId: string;
  path: string;
  trustPolicy: string;
  description: string | null;
  maxSessionDuration: number;
  createDate: number;
  tags: string;
}
export interface SessionRow {
  accessKeyId: string;
  secret: string;
  token: string;
  kind: 'session' | 'role';
  userName: string | null;
  roleName: string | null;
  roleId: string | null;
  sessionName: string | null;
  sourceIdentity: string | null;
  mfaAuthTime: number | null;
  expiration: number;
  createDate: number;
}

export interface IamStoreOptions {
  /**
   * 'group' (default): synchronous=NORMAL plus one WAL fdatasync for every batch of commits,
   * awaited before answering. 'full': synchronous=FULL, an fsync inside every commit.
   */
  durability?: 'group' | 'full';
}

const USER = 'user_name AS userName, user_id AS userId, path, create_date AS createDate, tags';
const KEY = 'access_key_id AS accessKeyId, secret, user_name AS userName, status, create_date AS createDate';
const PROFILE = 'user_name AS userName, password_hash AS passwordHash, reset_required AS resetRequired, create_date AS createDate';
const DEVICE =
  'serial, kind, name, path, secret, algorithm, digits, period, user_name AS userName, enable_date AS enableDate, last_step AS lastStep, step_offset AS stepOffset, create_date AS createDate, tags';
const ROLE = 'role_name AS roleName, role_id AS roleId, path, trust_policy AS trustPolicy, description, max_session_duration AS maxSessionDuration, create_date AS createDate, tags';
const SESSION =
  'access_key_id AS accessKeyId, secret, token, kind, user_name AS userName, role_name AS roleName, role_id AS roleId, session_name AS sessionName, source_identity AS sourceIdentity, mfa_auth_time AS mfaAuthTime, expiration, create_date AS createDate';

type Stmt = Database.Statement;

/** The database file inside a state directory. */
export const DATABASE_FILE = 'iam.sqlite';

export class IamStore {
  readonly db: Database.Database;
  readonly #commits: WalGroupCommit | undefined;
  readonly #s: Record<string, Stmt>;
  /** One transaction wrapper, reused: db.transaction() would build a new one every call. */
  readonly #tx: Database.Transaction<(fn: () => unknown) => unknown>;
  #closed = false;

  private constructor(db: Database.Database, commits: WalGroupCommit | undefined) {
    this.db = db;
    this.#commits = commits;
    this.#tx = db.transaction((fn: () => unknown) => fn());
    const p = (sql: string): Stmt => db.prepare(sql);
    this.#s = {
      getMeta: p('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: p('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),

      getUser: p(`SELECT ${USER} FROM users WHERE user_name = ?`),
      insertUser: p('INSERT INTO users(user_name, user_id, path, create_date, tags) VALUES (@userName, @userId, @path, @createDate, @tags)'),
      deleteUser: p('DELETE FROM users WHERE user_name = ?'),
      listUsers: p(`SELECT ${USER} FROM users WHERE path >= @prefix AND substr(path, 1, length(@prefix)) = @prefix AND user_name > @after ORDER BY user_name LIMIT @limit`),

      getKey: p(`SELECT ${KEY} FROM access_keys WHERE access_key_id = ?`),
      insertKey: p('INSERT INTO access_keys(access_key_id, secret, user_name, status, create_date) VALUES (@accessKeyId, @secret, @userName, @status, @createDate)'),
      deleteKey: p('DELETE FROM access_keys WHERE access_key_id = ?'),
      setKeySecret: p('UPDATE access_keys SET secret = ? WHERE access_key_id = ?'),
      userKeys: p(`SELECT ${KEY} FROM access_keys WHERE user_name = @userName AND access_key_id > @after ORDER BY access_key_id LIMIT @limit`),
      rootKeys: p(`SELECT ${KEY} FROM access_keys WHERE user_name IS NULL AND access_key_id > @after ORDER BY access_key_id LIMIT @limit`),
      countUserKeys: p('SELECT count(*) FROM access_keys WHERE user_name = ?').pluck(),
      countRootKeys: p('SELECT count(*) FROM access_keys WHERE user_name IS NULL').pluck(),

      getProfile: p(`SELECT ${PROFILE} FROM login_profiles WHERE user_name = ?`),
      insertProfile: p('INSERT INTO login_profiles(user_name, password_hash, reset_required, create_date) VALUES (@userName, @passwordHash, @resetRequired, @createDate)'),
      deleteProfile: p('DELETE FROM login_profiles WHERE user_name = ?'),

      getDevice: p(`SELECT ${DEVICE} FROM mfa_devices WHERE serial = ?`),
      getVirtualByName: p(`SELECT ${DEVICE} FROM mfa_devices WHERE kind = 'virtual' AND path = ? AND name = ? COLLATE NOCASE`),
      insertDevice: p(
        'INSERT INTO mfa_devices(serial, kind, name, path, secret, algorithm, digits, period, user_name, enable_date, last_step, step_offset, create_date, tags) ' +
          'VALUES (@serial, @kind, @name, @path, @secret, @algorithm, @digits, @period, @userName, @enableDate, @lastStep, @stepOffset, @createDate, @tags)',
      ),
      assignDevice: p('UPDATE mfa_devices SET user_name = @userName, enable_date = @enableDate, last_step = @lastStep, step_offset = @stepOffset WHERE serial = @serial AND user_name IS NULL'),
      updateDeviceState: p('UPDATE mfa_devices SET last_step = @lastStep, step_offset = @stepOffset WHERE serial = @serial'),
      unassignDevice: p('UPDATE mfa_devices SET user_name = NULL, enable_date = NULL WHERE serial = ?'),
      deleteDevice: p('DELETE FROM mfa_devices WHERE serial = ?'),
      userDevices: p(`SELECT ${DEVICE} FROM mfa_devices WHERE user_name = @userName AND serial > @after ORDER BY serial LIMIT @limit`),
      countUserDevices: p('SELECT count(*) FROM mfa_devices WHERE user_name = ?').pluck(),
      virtualDevices: p(
        `SELECT ${DEVICE} FROM mfa_devices WHERE kind = 'virtual' AND (@status = 'Any' OR (@status = 'Assigned') = (user_name IS NOT NULL)) AND serial > @after ORDER BY serial LIMIT @limit`,
      ),

      getRole: p(`SELECT ${ROLE} FROM roles WHERE role_name = ?`),
      insertRole: p(
        'INSERT INTO roles(role_name, role_id, path, trust_policy, description, max_session_duration, create_date, tags) ' +
          'VALUES (@roleName, @roleId, @path, @trustPolicy, @description, @maxSessionDuration, @createDate, @tags)',
      ),
      deleteRole: p('DELETE FROM roles WHERE role_name = ?'),

      getSession: p(`SELECT ${SESSION} FROM sessions WHERE access_key_id = ?`),
      insertSession: p(
        'INSERT INTO sessions(access_key_id, secret, token, kind, user_name, role_name, role_id, session_name, source_identity, mfa_auth_time, expiration, create_date) ' +
          'VALUES (@accessKeyId, @secret, @token, @kind, @userName, @roleName, @roleId, @sessionName, @sourceIdentity, @mfaAuthTime, @expiration, @createDate)',
      ),
      purgeSessions: p('DELETE FROM sessions WHERE expiration < ?'),
    };
  }

  /**
   * Open (creating if needed) the store in `dir` (mode 0700, database 0600), or an in-memory
   * store for `':memory:'` (unit tests: nothing is durable). Refuses a database written by a
   * newer schema.
   */
  static open(dir: string, options: IamStoreOptions = {}): IamStore {
    const memory = dir === ':memory:';
    let file = ':memory:';
    if (!memory) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        keepPrivate(dir);
        file = join(dir, DATABASE_FILE);
        closeSync(openSync(file, 'a', 0o600));
        chmodSync(file, 0o600);
      } catch (e) {
        if (e instanceof TokenrigError) throw e;
        throw new TokenrigError(ErrorCode.BAD_FILE, `${dir}: cannot use it as the state directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
      }
    }
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new TokenrigError(ErrorCode.BAD_FILE, `${file}: written by a newer tokenrig (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      if (version === 0) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
    } catch (e) {
      if (e instanceof TokenrigError) throw e;
      throw new TokenrigError(ErrorCode.BAD_FILE, `${file}: not a usable database (${(e as Error).message})`, { cause: e });
    }
    let commits: WalGroupCommit | undefined;
    if (!memory && options.durability !== 'full') {
      // The WAL exists once something was written; the directory entry is made durable once.
      db.prepare("INSERT INTO meta(key, value) VALUES ('opened', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(Date.now()));
      commits = WalGroupCommit.open(`${file}-wal`);
      const dirFd = openSync(dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
    return new IamStore(db, commits);
  }

  /** Run `fn` as one write transaction (BEGIN IMMEDIATE); an exception rolls it back. */
  write<T>(fn: () => T): T {
    const result = this.#tx.immediate(fn) as T;
    this.#commits?.markDirty();
    return result;
  }

  /** Run `fn` as one read transaction (a consistent snapshot). */
  read<T>(fn: () => T): T {
    return this.#tx.deferred(fn) as T;
  }

  /** Resolves once every commit so far is on disk. */
  durable(): Promise<void> {
    return this.#commits === undefined || !this.#commits.dirty ? Promise.resolve() : this.#commits.durable();
  }

  /** fsyncs run so far and the commits they covered (the group commit's batch size). */
  get syncStats(): { syncs: number; commits: number } {
    return { syncs: this.#commits?.syncs ?? 0, commits: this.#commits?.covered ?? 0 };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commits?.close();
    this.db.close();
  }

  // meta
  getMeta(key: string): string | undefined {
    return this.#s.getMeta!.get(key) as string | undefined;
  }
  setMeta(key: string, value: string): void {
    this.#s.setMeta!.run(key, value);
  }

  // users
  getUser(name: string): UserRow | undefined {
    return this.#s.getUser!.get(name) as UserRow | undefined;
  }
  insertUser(row: UserRow): void {
    this.#s.insertUser!.run(row);
  }
  deleteUser(name: string): void {
    this.#s.deleteUser!.run(name);
  }
  listUsers(prefix: string, after: string, limit: number): UserRow[] {
    return this.#s.listUsers!.all({ prefix, after, limit }) as UserRow[];
  }

  // access keys
  getAccessKey(id: string): AccessKeyRow | undefined {
    return this.#s.getKey!.get(id) as AccessKeyRow | undefined;
  }
  insertAccessKey(row: AccessKeyRow): void {
    this.#s.insertKey!.run(row);
  }
  setAccessKeySecret(id: string, secret: string): void {
    this.#s.setKeySecret!.run(secret, id);
  }
  deleteAccessKey(id: string): void {
    this.#s.deleteKey!.run(id);
  }
  listAccessKeys(userName: string | null, after: string, limit: number): AccessKeyRow[] {
    return (userName === null ? this.#s.rootKeys!.all({ after, limit }) : this.#s.userKeys!.all({ userName, after, limit })) as AccessKeyRow[];
  }
  countAccessKeys(userName: string | null): number {
    return (userName === null ? this.#s.countRootKeys!.get() : this.#s.countUserKeys!.get(userName)) as number;
  }

  // login profiles
  getLoginProfile(userName: string): LoginProfileRow | undefined {
    return this.#s.getProfile!.get(userName) as LoginProfileRow | undefined;
  }
  insertLoginProfile(row: LoginProfileRow): void {
    this.#s.insertProfile!.run(row);
  }
  deleteLoginProfile(userName: string): void {
    this.#s.deleteProfile!.run(userName);
  }

  // MFA devices
  getDevice(serial: string): MfaDeviceRow | undefined {
    return this.#s.getDevice!.get(serial) as MfaDeviceRow | undefined;
  }
  getVirtualDeviceByName(path: string, name: string): MfaDeviceRow | undefined {
    return this.#s.getVirtualByName!.get(path, name) as MfaDeviceRow | undefined;
  }
  insertDevice(row: MfaDeviceRow): void {
    this.#s.insertDevice!.run(row);
  }
  /** Assign an unassigned device; false when it was assigned meanwhile. */
  assignDevice(serial: string, userName: string, enableDate: number, lastStep: number, stepOffset: number): boolean {
    return this.#s.assignDevice!.run({ serial, userName, enableDate, lastStep, stepOffset }).changes === 1;
  }
  updateDeviceState(serial: string, lastStep: number, stepOffset: number): void {
    this.#s.updateDeviceState!.run({ serial, lastStep, stepOffset });
  }
  unassignDevice(serial: string): void {
    this.#s.unassignDevice!.run(serial);
  }
  deleteDevice(serial: string): void {
    this.#s.deleteDevice!.run(serial);
  }
  listUserDevices(userName: string, after: string, limit: number): MfaDeviceRow[] {
    return this.#s.userDevices!.all({ userName, after, limit }) as MfaDeviceRow[];
  }
  countUserDevices(userName: string): number {
    return this.#s.countUserDevices!.get(userName) as number;
  }
  listVirtualDevices(status: 'Assigned' | 'Unassigned' | 'Any', after: string, limit: number): MfaDeviceRow[] {
    return this.#s.virtualDevices!.all({ status, after, limit }) as MfaDeviceRow[];
  }

  // roles
  getRole(name: string): RoleRow | undefined {
    return this.#s.getRole!.get(name) as RoleRow | undefined;
  }
  insertRole(row: RoleRow): void {
    this.#s.insertRole!.run(row);
  }
  deleteRole(name: string): void {
    this.#s.deleteRole!.run(name);
  }

  // sessions
  getSession(accessKeyId: string): SessionRow | undefined {
    return this.#s.getSession!.get(accessKeyId) as SessionRow | undefined;
  }
  insertSession(row: SessionRow): void {
    this.#s.insertSession!.run(row);
  }
  /** Forget sessions that expired before `beforeMs`. */
  purgeSessions(beforeMs: number): number {
    return this.#s.purgeSessions!.run(beforeMs).changes;
  }
}

/**
 * The state holds seeds and secret keys: its directory is made 0700 if it is ours (an existing
 * one open to others is tightened), and refused if it belongs to another user; the policy of
 * the simulators' state directories (docs/limits.md, "State files").
 */
function keepPrivate(dir: string): void {
  const st = statSync(dir);
  if (!st.isDirectory()) throw badInput(`state directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw badInput(`state directory ${dir} belongs to uid ${st.uid}, not to this user (${uid}): use a directory of your own`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
