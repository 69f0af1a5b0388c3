/**
 * Generated secrets, kept as scripts/lib.sh's `ensure_secret` keeps them: one file per secret in
 * <data dir>/secrets (folder 0700, file 0600), 32 random bytes in base64url, created atomically (a hard link of a
 * finished temporary file, first writer wins), so concurrent processes and scripts agree on one value.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The secret NAME of a data folder, generated on first use. */
export function ensureSecret(dataDir: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad secret name ${JSON.stringify(name)}`);
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, name);
  const existing = readSecretFile(file);
  if (existing !== undefined) return existing;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, crypto.randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const value = readSecretFile(file);
  if (value === undefined) throw new Error(`could not create the secret ${file}`);
  return value;
}

/** A secret file's content (trimmed), or undefined when it is missing or empty. */
export function readSecretFile(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}
