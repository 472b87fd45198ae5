/** Kernel module files on disk: reading them (compressed too, xz by the native tool), their caches, symvers and initramfs files. */
export { initrdPlaces, readInitrdModules } from './initrd-file.js';
export { checkModuleFiles } from './module-check.js';
export {
  eachModuleFile,
  listModuleFiles,
  readModuleBytes,
  readModuleFile,
  readModuleFiles,
  readModuleImportsFile,
} from './module-files.js';
export { type FileStat, ModuleImportsCache } from './module-imports-cache.js';
export { readSymversFile } from './symvers-file.js';
