// atomic file replacement: write a temp file in the target's folder, fsync it, rename it over the
// target, fsync the folder. a reader sees the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// calls write(fd) on a temp file, then moves it to `file`; the temp file is removed on failure
export function writeAtomic(file: string, write: (fd: number) => void): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  let done = false;
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    done = true;
    renameSync(tmp, file);
  } catch (e) {
    if (!done) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
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

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeAtomic(file, (fd) => writeAll(fd, bytes));
}

// makes the rename durable; some platforms (Windows) cannot open a folder, which is not an error
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
