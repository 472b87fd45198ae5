/** The errno values the livepatch core and the module loader answer with, and their strerror text. */
const ERRNOS: ReadonlyArray<readonly [number, string, string]> = [
  [1, 'EPERM', 'Operation not permitted'],
  [2, 'ENOENT', 'No such file or directory'],
  [3, 'ESRCH', 'No such process'],
  [4, 'EINTR', 'Interrupted system call'],
  [5, 'EIO', 'Input/output error'],
  [6, 'ENXIO', 'No such device or address'],
  [7, 'E2BIG', 'Argument list too long'],
  [8, 'ENOEXEC', 'Exec format error'],
  [9, 'EBADF', 'Bad file descriptor'],
  [11, 'EAGAIN', 'Resource temporarily unavailable'],
  [12, 'ENOMEM', 'Cannot allocate memory'],
  [13, 'EACCES', 'Permission denied'],
  [14, 'EFAULT', 'Bad address'],
  [16, 'EBUSY', 'Device or resource busy'],
  [17, 'EEXIST', 'File exists'],
  [19, 'ENODEV', 'No such device'],
  [22, 'EINVAL', 'Invalid argument'],
  [28, 'ENOSPC', 'No space left on device'],
  [34, 'ERANGE', 'Numerical result out of range'],
  [38, 'ENOSYS', 'Function not implemented'],
  [95, 'EOPNOTSUPP', 'Operation not supported'],
  [110, 'ETIMEDOUT', 'Connection timed out'],
  [125, 'ECANCELED', 'Operation canceled'],
];

const byNumber = new Map(ERRNOS.map(([num, name, text]) => [num, { name, text }]));
const byName = new Map(ERRNOS.map(([num, name]) => [name, num]));

export type ErrnoName = 'ENOENT' | 'EAGAIN' | 'EBUSY' | 'EEXIST' | 'EINVAL' | 'ENODEV' | (string & {});

export interface Errno {
  /** symbolic name, `E<n>` for numbers klpm has no name for */
  readonly errno: ErrnoName;
  readonly number: number;
  /** strerror(3) text */
  readonly message: string;
  /** why the kernel refused, in one line, for a reader who does not know the rule (not in the kernel log) */
  readonly why?: string;
}

/** The errno for a positive number (a callback's `-19` is errno 19). */
export function errnoFromNumber(num: number): Errno {
  const known = byNumber.get(num);
  return known
    ? { errno: known.name, number: num, message: known.text }
    : { errno: `E${num}`, number: num, message: `Unknown error ${num}` };
}

export function errnoFromName(name: ErrnoName): Errno {
  const num = byName.get(name);
  if (num === undefined) throw new Error(`unknown errno name ${name}`);
  return errnoFromNumber(num);
}

const byText = new Map(ERRNOS.map(([num, , text]) => [text.toLowerCase(), num]));

/** The errno whose strerror text a tool printed (insmod: "could not insert module x: File exists"). */
export function findErrnoByMessage(text: string): Errno | undefined {
  const num = byText.get(text.trim().toLowerCase());
  return num === undefined ? undefined : errnoFromNumber(num);
}
