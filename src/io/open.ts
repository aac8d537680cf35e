// opening a file to read it whole: a FIFO (or a device) at the path would block the read until a
// writer came, or never end; stat then open leaves a window in which the path can be swapped for
// one. so the open itself does not block (O_NONBLOCK: no effect on a regular file) and the open
// file is the one checked (fstat)
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { FormatError } from '../errors.js';

// a read-only descriptor of `file`, a regular file; else a FormatError naming it
export function openRegularFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FormatError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, file);
  }
  let regular = false;
  try {
    regular = fstatSync(fd).isFile();
  } finally {
    if (!regular) closeSync(fd);
  }
  if (!regular) throw new FormatError('not a file (a directory or a special file)', file);
  return fd;
}
