/** Version order as rpm has it (rpmvercmp) and version-release strings. */

export { compareVersionRelease, parseVersionRelease, rpmvercmp, type VersionRelease } from './rpmvercmp.js';
