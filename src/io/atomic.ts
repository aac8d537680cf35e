// atomic file replacement: write a temp file in the target's folder, fsync it, rename it over the
// target, fsync the folder. a reader sees the old file or the new one, never half of one.
// the rename replaces whatever has the name, so a target that exists and is not a regular file (a
// fifo, /dev/null, a socket, a folder) is refused first: replacing it would destroy it. a symbolic
// link to a regular file is followed: the file it points to is replaced, the link stays. a read-only
// file is refused, and a replaced file keeps its permission bits; temp files a killed writer left
// beside the target are removed by the next write
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

// an fs error about `file` (not the temp file), with the caller's name and the fs error's code
function fileError(who: string, file: string, what: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const e = new Error(`${who}: cannot write ${JSON.stringify(file)}: ${what}${code === undefined ? '' : ` (${code})`}`, { cause });
  if (code !== undefined) (e as NodeJS.ErrnoException).code = code;
  return e;
}

// the path the write goes to: `file`, or the file a symbolic link points to. throws a RangeError
// naming `who` and the file when it exists and is not a regular file, an Error when its folder is
// missing. callers that write late (the CLI after training) call it up front as well
export function checkWriteTarget(file: string, who: string): string {
  // "out/" names a folder: the rename would fail with a message about the temp file
  if (file.endsWith('/') || file.endsWith(sep)) {
    throw new RangeError(`${who}: expected a path to a file, received ${JSON.stringify(file)}, a folder path (it ends with ${JSON.stringify(sep)})`);
  }
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const dir = dirname(file);
    const d = statSync(dir, { throwIfNoEntry: false });
    if (d === undefined) throw fileError(who, file, `its folder ${JSON.stringify(dir)} does not exist`, e);
    if (!d.isDirectory()) throw fileError(who, file, `${JSON.stringify(dir)} is not a folder`, e);
    return file;
  }
  if (!st.isFile()) {
    throw new RangeError(
      `${who}: expected a path to a regular file or to nothing (it is replaced), received ${JSON.stringify(file)}, ${kindOf(st)}; ` +
        'refusing to replace it',
    );
  }
  // the rename needs only the folder's permission: a file its owner made read-only would be replaced
  // (and come back writable) where an editor or cp refuses
  if ((st.mode & 0o222) === 0) {
    throw new RangeError(`${who}: expected a path to a writable file or to nothing, received ${JSON.stringify(file)}, read-only (mode ${(st.mode & 0o777).toString(8)}); refusing to replace it`);
  }
  return realpathSync(file);
}

// calls write(fd) on a temp file, then moves it to `file`; the temp file is removed on failure.
// `who` (the public function) names errors
export function writeAtomic(file: string, write: (fd: number) => void, who = 'writeAtomic'): void {
  const target = checkWriteTarget(file, who);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // a file that is replaced keeps its permission bits (they were reset to 0644 by the new file)
  const mode = statSync(target, { throwIfNoEntry: false })?.mode;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw fileError(who, file, `cannot create a temporary file in ${JSON.stringify(dir)}`, e);
  }
  let done = false;
  try {
    if (mode !== undefined) fchmodSync(fd, mode & 0o7777);
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    done = true;
    // the target is checked again right before the rename: it may have become a fifo meanwhile
    checkWriteTarget(target, who);
    renameSync(tmp, target);
    sweepStale(dir, basename(target));
  } catch (e) {
    if (!done) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    // a failed write or rename (ENOSPC, EIO, EDQUOT) named by the caller and the user's path, not as
    // a bare fs message; the caller's own errors (a bad value found while writing) pass as they are
    if (typeof (e as NodeJS.ErrnoException)?.code === 'string' && !(e instanceof RangeError) && !(e instanceof TypeError)) {
      throw fileError(who, file, 'the write failed, the file is unchanged', e);
    }
    throw e;
  }
  syncDir(dir);
}

// writes all of `data` at the fd's current position
export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

export function writeFileAtomic(file: string, data: Uint8Array | string, who = 'writeFileAtomic'): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeAtomic(file, (fd) => writeAll(fd, bytes), who);
}

// makes the rename durable; some platforms (Windows) cannot open a folder, which is not an error
// temp files of this target left by a writer that was killed mid-write (SIGKILL, a power cut: nothing
// could remove them), named .<target>.<pid>.<hex>.tmp with a pid no process has now; another
// writer's live temp file is left alone. best effort: a folder that cannot be listed is skipped
function sweepStale(dir: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(n.slice(prefix.length));
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, n));
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: a process of another user has that pid
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // fsync on a folder is unsupported here
  } finally {
    closeSync(fd);
  }
}
