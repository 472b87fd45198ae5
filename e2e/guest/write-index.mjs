// Run in the guest (node, in the chroot of the host's root): fills the running kernel's build ID into
// a repository index template. The build ID is read here from /sys/kernel/notes with a parser of its
// own (ELF note layout: n_namesz, n_descsz, n_type, name and desc each padded to 4 bytes), not with
// klpm's reader, so that klpm's reading of it is checked against something independent.
// Usage: node write-index.mjs BUILD-ID-FILE TEMPLATE OUTPUT [TEMPLATE OUTPUT]...
import { readFileSync, writeFileSync } from 'node:fs';

const [buildIdFile, ...pairs] = process.argv.slice(2);
const notes = readFileSync('/sys/kernel/notes');
const pad = (n) => (n + 3) & ~3;
let buildId;
for (let at = 0; at + 12 <= notes.length; ) {
  const namesz = notes.readUInt32LE(at);
  const descsz = notes.readUInt32LE(at + 4);
  const type = notes.readUInt32LE(at + 8);
  const name = notes.subarray(at + 12, at + 12 + namesz).toString('latin1');
  const desc = at + 12 + pad(namesz);
  if (type === 3 && name === 'GNU\0') buildId = notes.subarray(desc, desc + descsz).toString('hex');
  at = desc + pad(descsz);
}
if (buildId === undefined) throw new Error('no NT_GNU_BUILD_ID note in /sys/kernel/notes');
for (let i = 0; i + 1 < pairs.length; i += 2)
  writeFileSync(pairs[i + 1], readFileSync(pairs[i], 'utf8').replaceAll('@BUILD_ID@', buildId));
writeFileSync(buildIdFile, `${buildId}\n`);
