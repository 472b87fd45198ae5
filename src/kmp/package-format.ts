import { kmpBuildDir } from '../kabi/index.js';

/**
 * "KMP X for kernel Y" packages (docs/kmp-packages.md, "Naming"): the package name, version and
 * maintainer scripts `klpm kmp pack` gives a KMP build, for dpkg and for rpm. Pure: the host side
 * stages the files and runs dpkg-deb or rpmbuild.
 */

export type PackageFormat = 'deb' | 'rpm';

/** What `pack` knows of one build: kmp.json's package, version and kernel. */
export interface PackedBuild {
  readonly package: string;
  readonly version: string;
  readonly kernel: string;
  readonly bootCritical: boolean;
}

/** A name or version the format cannot carry, and the rule it breaks (PN-* in docs/kmp-packages.md). */
export class PackageNameError extends Error {
  override readonly name = 'PackageNameError';
}

/** The name and version a build's package gets in one format. */
export interface PackageIdentity {
  readonly name: string;
  /** deb: the whole Debian version; rpm: Version */
  readonly version: string;
  /** rpm: Release; deb: none (the revision is part of version) */
  readonly release?: string;
  /** where its files go: the build's own store directory */
  readonly storeDir: string;
}

// Debian policy 5.6.1: lowercase letters, digits, '+', '-', '.'; two characters or more, starting
// with a letter or digit.
const debName = /^[a-z0-9][a-z0-9+.-]+$/;
// Debian policy 5.6.12: upstream version starts with a digit; '-' only with a revision (the last '-'
// splits them); '~' sorts before anything; no '_' and no '^'.
const debVersion = /^[0-9][A-Za-z0-9.+~-]*$/;
// rpm's Name: letters, digits and '-._+' (rpmbuild refuses the rest in a tag it parses as a name).
const rpmName = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;
// rpm's Version and Release: no '-' (it separates them); rpm allows letters, digits, '._+~^'.
const rpmVersionPart = /^[A-Za-z0-9][A-Za-z0-9._+~^]*$/;

/**
 * PN-DEB-NAME: `_` becomes `-` (as Debian names Python's `foo_bar` `python3-foo-bar`), everything
 * else must already be a valid Debian name: upper case is refused rather than folded, since two KMPs
 * differing only in case would then share a name.
 */
function debPart(text: string, what: string): string {
  const mapped = text.replaceAll('_', '-');
  if (!debName.test(mapped) && !/^[a-z0-9]$/.test(mapped))
    throw new PackageNameError(
      `${what} '${text}' cannot be part of a Debian package name (PN-DEB-NAME: lowercase letters, digits, '+', '-', '.'; '_' is mapped to '-')`,
    );
  return mapped;
}

/** The upstream part of a version: before its last `-` (kmp.json's `1.2-3` is upstream 1.2, revision 3). */
function upstreamOf(version: string): string {
  const dash = version.lastIndexOf('-');
  return dash > 0 ? version.slice(0, dash) : version;
}

/**
 * The package of `build` in `format`. PN-KERNEL: the name is `<package>-kmp-<kernel>`, so builds for
 * any number of kernels are different packages. PN-COINSTALL (deb only, `coinstallable`): the upstream
 * version goes into the name too, `<package>-<upstream>-kmp-<kernel>`, since dpkg holds one version
 * of a name (as Debian puts the ABI into `linux-image-6.1.0-57-amd64`); rpm holds several versions of
 * one name already (`rpm -i` beside, `rpm -U` replacing).
 */
export function packageIdentity(
  build: PackedBuild,
  format: PackageFormat,
  coinstallable = false,
): PackageIdentity {
  const storeDir = kmpBuildDir(build.package, build.version, build.kernel);
  if (format === 'deb') {
    // PN-DEB-VERSION: kmp.json's version is the Debian version as it stands, or refused
    if (!debVersion.test(build.version))
      throw new PackageNameError(
        `version '${build.version}' is not a Debian version (PN-DEB-VERSION: starts with a digit; letters, digits, '.', '+', '~', '-'; no '_' or '^')`,
      );
    const pkg = debPart(build.package, 'package');
    const name = coinstallable
      ? `${pkg}-${debPart(upstreamOf(build.version), 'upstream version')}-kmp-${debPart(build.kernel, 'kernel')}`
      : `${pkg}-kmp-${debPart(build.kernel, 'kernel')}`;
    return { name, version: build.version, storeDir };
  }
  const name = `${build.package}-kmp-${build.kernel}`;
  if (!rpmName.test(name))
    throw new PackageNameError(
      `'${name}' is not an rpm package name (PN-RPM-NAME: letters, digits, '-', '.', '_', '+')`,
    );
  // PN-RPM-VERSION: split at the last '-' into Version and Release; no '-': Release 0
  const dash = build.version.lastIndexOf('-');
  const version = dash > 0 ? build.version.slice(0, dash) : build.version;
  const release = dash > 0 ? build.version.slice(dash + 1) : '0';
  for (const [part, text] of [
    ['Version', version],
    ['Release', release],
  ] as const)
    if (!rpmVersionPart.test(text) || text.includes('-'))
      throw new PackageNameError(
        `version '${build.version}' gives rpm ${part} '${text}', which rpm refuses (PN-RPM-VERSION: letters, digits, '.', '_', '+', '~', '^'; split at the last '-')`,
      );
  return { name, version, release, storeDir };
}

/** The meta-package of a KMP (PN-META): `<package>-kmp`, depending on the per-kernel packages. */
export function metaName(pkg: string, format: PackageFormat): string {
  return format === 'deb' ? `${debPart(pkg, 'package')}-kmp` : `${pkg}-kmp`;
}

/** Shell words: single-quoted, as `sh` reads them (names are checked, this is belt and braces). */
const q = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** How the scripts find klpm: an absolute path, overridable for tests and relocated installs. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for sh to read
const klpm = '"${KLPM:-/usr/bin/klpm}"';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for sh to read
const wait = '--wait "${KLPM_WAIT:-300}"';

/**
 * The deb maintainer scripts: postinst `configure` adds this one build (already unpacked into its
 * store directory: `kmp add` of a build that is there and the same only links); prerm `remove`
 * removes it, and klpm's refusal (a kernel would lose a boot-critical module) fails the prerm, so
 * dpkg keeps the package. An upgrade's prerm does nothing: the new version's postinst relinks.
 */
export function debScripts(
  build: PackedBuild,
  identity: PackageIdentity,
): { postinst: string; prerm: string } {
  const head = `#!/bin/sh\n# made by klpm kmp pack: ${build.package} ${build.version} built for ${build.kernel}\nset -e\n`;
  return {
    postinst: `${head}case "$1" in\nconfigure)\n  ${klpm} kmp add ${q(identity.storeDir)} ${wait}\n  ;;\nesac\nexit 0\n`,
    prerm: `${head}case "$1" in\nremove | deconfigure)\n  ${klpm} kmp remove ${q(build.package)} ${q(build.version)} --built-for ${q(build.kernel)} ${wait}\n  ;;\nesac\nexit 0\n`,
  };
}

/**
 * The rpm scriptlets: %post adds this build; %preun removes it, on erase and on upgrade alike (the
 * new version, in its own store directory, was added by its %post before the old one's %preun runs),
 * and its refusal stops the erase; %posttrans relinks once the whole transaction is done, which also
 * finishes what a killed transaction left.
 */
export function rpmScriptlets(build: PackedBuild, identity: PackageIdentity): string {
  return [
    '%post',
    `${klpm} kmp add ${q(identity.storeDir)} ${wait}`,
    '%preun',
    `${klpm} kmp remove ${q(build.package)} ${q(build.version)} --built-for ${q(build.kernel)} ${wait}`,
    '%posttrans',
    `${klpm} kmp link ${wait} || echo "klpm: WARNING: klpm kmp link failed; run it again" >&2`,
    '',
  ].join('\n');
}
