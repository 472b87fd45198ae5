/** Reading initramfs images: cpio archives, compressed parts, the kernel modules they hold. */

export { type CpioEntry, isCpioAt, parseCpio } from './cpio.js';
export {
  compressionAt,
  type InitrdCompression,
  type InitrdImage,
  initrdModules,
  readArchives,
  readInitrdImage,
} from './image.js';
export { parseInitrdList } from './list.js';
