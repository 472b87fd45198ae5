/**
 * What klpm keeps and reads about kernel module packages, as plain data: kmp.json and kernel
 * descriptions (zod schemas), the registered-kernel format, and the descriptions turned into what the
 * resolver takes. Pure; the store on disk is src/host/kmp/.
 */

export { describedModule, kernelFromDescription, servedBefore } from './describe.js';
export {
  debScripts,
  metaName,
  type PackageFormat,
  type PackageIdentity,
  PackageNameError,
  type PackedBuild,
  packageIdentity,
  rpmScriptlets,
} from './package-format.js';
export { type Relevant, readRegistered, registeredText, relevantTo } from './registration.js';
export {
  flavorOf,
  type KernelDescription,
  type KmpBuildDescription,
  kernelSchema,
  kmpBuildSchema,
  parseKernel,
  parseKmpBuild,
} from './schema.js';
