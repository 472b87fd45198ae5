import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../input/index.js';
import {
  debScripts,
  metaName,
  type PackageFormat,
  type PackageIdentity,
  PackageNameError,
  type PackedBuild,
  packageIdentity,
  parseKmpBuild,
  rpmScriptlets,
} from '../../kmp/index.js';
import { readFileText } from '../files.js';

export interface PackOptions {
  readonly format: PackageFormat;
  /** where the packages are written */
  readonly out: string;
  /** deb: the upstream version goes into the name (PN-COINSTALL) */
  readonly coinstallable: boolean;
  /** also build the `<package>-kmp` meta-package depending on the per-kernel ones */
  readonly meta: boolean;
  /** the package architecture; default: `dpkg --print-architecture` / `rpm --eval %{_arch}` */
  readonly arch?: string;
  readonly maintainer: string;
}

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  readonly release?: string;
  readonly file: string;
  /** what the package holds: one build, or the meta-package */
  readonly kind: 'build' | 'meta';
}

/** `klpm kmp pack BUILD-DIR... --format deb|rpm`: one "KMP X for kernel Y" package per build. */
export async function kmpPack(dirs: ReadonlyArray<string>, options: PackOptions): Promise<PackedPackage[]> {
  const builds: Array<{
    dir: string;
    build: PackedBuild;
    files: string[];
    identity: PackageIdentity;
    /** kmp.json's mtime: the changelog's date, so packing the same build twice gives the same files */
    date: Date;
  }> = [];
  for (const dir of dirs) {
    const source = join(dir, 'kmp.json');
    const description = parseKmpBuild(await readFileText(source), source);
    const build: PackedBuild = {
      package: description.package,
      version: description.version,
      kernel: description.kernel,
      bootCritical: description.bootCritical,
    };
    const identity = located(() => packageIdentity(build, options.format, options.coinstallable), source);
    const date = (await stat(source)).mtime;
    builds.push({ dir, build, files: description.modules.map((m) => m.file), identity, date });
  }
  if (options.meta && new Set(builds.map((b) => b.build.package)).size !== 1)
    throw new InputError(
      '--meta packs the builds of one package: give build directories of one package only',
      'BUILD-DIR',
    );
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const arch = options.arch ?? archOf(options.format);
  const work = await mkdtemp(join(tmpdir(), 'klpm-pack-'));
  try {
    const packed: PackedPackage[] = [];
    for (const [i, b] of builds.entries()) {
      const stage = join(work, `${i}`, 'root');
      const store = join(stage, b.identity.storeDir);
      await mkdir(store, { recursive: true });
      for (const file of ['kmp.json', ...b.files]) {
        await mkdir(dirname(join(store, file)), { recursive: true });
        await copyFile(join(b.dir, file), join(store, file));
      }
      packed.push(
        options.format === 'deb'
          ? await buildDeb(b.build, b.identity, stage, out, arch, options, b.date)
          : await buildRpm(b.build, b.identity, join(work, `${i}`), out, arch),
      );
    }
    if (options.meta && builds.length > 0) {
      const first = builds[0]!;
      packed.push(
        options.format === 'deb'
          ? await metaDeb(
              first.build,
              builds.map((b) => b.identity),
              join(work, 'meta'),
              out,
              options,
              first.date,
            )
          : await metaRpm(
              first.build,
              builds.map((b) => b.identity),
              join(work, 'meta'),
              out,
            ),
      );
    }
    return packed;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function located<T>(make: () => T, source: string): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof PackageNameError) throw new InputError(error.message, source);
    throw error;
  }
}

function run(command: string, args: ReadonlyArray<string>): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error)
    throw new InputError(
      `cannot run ${command}: ${result.error.message} (install it to pack this format)`,
      command,
    );
  if (result.status !== 0)
    throw new InputError(
      `${command} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ')}`,
      command,
    );
  return result.stdout;
}

function archOf(format: PackageFormat): string {
  return format === 'deb'
    ? run('dpkg', ['--print-architecture']).trim()
    : run('rpm', ['--eval', '%{_arch}']).trim();
}

function description(build: PackedBuild): string {
  return `${build.package} ${build.version} kernel module package for Linux ${build.kernel}`;
}

/**
 * The two files Debian policy wants in every binary package (12.7 changelog.Debian.gz, 12.5
 * copyright), which lintian reports as errors when missing. They go under the deb package's own
 * /usr/share/doc/<name>/, unique per package name, so they conflict no more than the store directory.
 */
async function debDocs(
  stage: string,
  name: string,
  version: string,
  what: string,
  maintainer: string,
  date: Date,
): Promise<void> {
  const doc = join(stage, 'usr', 'share', 'doc', name);
  await mkdir(doc, { recursive: true });
  // deb-changelog(5): the trailer's date is RFC 5322's, with a numeric zone
  const when = date.toUTCString().replace(/GMT$/, '+0000');
  const changelog = `${name} (${version}) unstable; urgency=medium\n\n  * ${what}, packed by klpm kmp pack.\n\n -- ${maintainer}  ${when}\n`;
  // gzip -9n: zlib's header carries no name and no time
  await writeFile(join(doc, 'changelog.Debian.gz'), gzipSync(changelog, { level: 9 }));
  await writeFile(
    join(doc, 'copyright'),
    `${what}, packed by klpm kmp pack.\n\nThe modules are their vendor's work, as built; their licence is each module's\nMODULE_LICENSE (modinfo -F license FILE).\n`,
  );
}

async function buildDeb(
  build: PackedBuild,
  identity: PackageIdentity,
  stage: string,
  out: string,
  arch: string,
  options: PackOptions,
  date: Date,
): Promise<PackedPackage> {
  await debDocs(
    stage,
    identity.name,
    identity.version,
    `${build.package} ${build.version} built for Linux ${build.kernel}`,
    options.maintainer,
    date,
  );
  const debian = join(stage, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  const provides = options.coinstallable ? `Provides: ${packageIdentity(build, 'deb').name}\n` : '';
  await writeFile(
    join(debian, 'control'),
    `Package: ${identity.name}\nVersion: ${identity.version}\nArchitecture: ${arch}\nMaintainer: ${options.maintainer}\n` +
      `Section: kernel\nPriority: optional\n${provides}Description: ${description(build)}\n` +
      ` The modules of ${build.package} ${build.version} built for kernel ${build.kernel},\n` +
      ` installed into\n ${identity.storeDir}.\n` +
      ' Its scripts call klpm, which links them into every installed kernel\n' +
      ' they are KABI-compatible with.\n',
  );
  const scripts = debScripts(build, identity);
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(join(debian, name), text);
    await chmod(join(debian, name), 0o755);
  }
  const file = join(out, `${identity.name}_${identity.version}_${arch}.deb`);
  run('dpkg-deb', ['--build', '--root-owner-group', stage, file]);
  return { name: identity.name, version: identity.version, file, kind: 'build' };
}

const rpmDefines = (top: string, out: string) => [
  '--define',
  `_topdir ${top}`,
  '--define',
  `_rpmdir ${out}`,
  '--define',
  '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
  // the modules go in as built: no stripping, no debuginfo split, no build-id links
  '--define',
  '__os_install_post %{nil}',
  '--define',
  'debug_package %{nil}',
  '--define',
  '_build_id_links none',
];

async function buildRpm(
  build: PackedBuild,
  identity: PackageIdentity,
  work: string,
  out: string,
  arch: string,
): Promise<PackedPackage> {
  const spec = join(work, `${identity.name}.spec`);
  await writeFile(
    spec,
    [
      `Name: ${identity.name}`,
      `Version: ${identity.version}`,
      `Release: ${identity.release}`,
      `Summary: ${description(build)}`,
      "License: see the modules' MODULE_LICENSE",
      `BuildArch: ${arch}`,
      'AutoReqProv: no',
      '%description',
      `The modules of ${build.package} ${build.version} built for kernel ${build.kernel}, installed into`,
      `${identity.storeDir}. Its scriptlets call klpm, which links them into every`,
      'installed kernel they are KABI-compatible with.',
      '%install',
      'mkdir -p %{buildroot}',
      `cp -a ${join(work, 'root')}/. %{buildroot}/`,
      '%files',
      identity.storeDir,
      rpmScriptlets(build, identity),
    ].join('\n'),
  );
  run('rpmbuild', ['-bb', ...rpmDefines(join(work, 'top'), out), spec]);
  const file = join(out, `${identity.name}-${identity.version}-${identity.release}.${arch}.rpm`);
  return { name: identity.name, version: identity.version, release: identity.release, file, kind: 'build' };
}

async function metaDeb(
  build: PackedBuild,
  parts: ReadonlyArray<PackageIdentity>,
  work: string,
  out: string,
  options: PackOptions,
  date: Date,
): Promise<PackedPackage> {
  const name = metaName(build.package, 'deb');
  await mkdir(join(work, 'DEBIAN'), { recursive: true });
  await debDocs(
    work,
    name,
    build.version,
    `${build.package} ${build.version}, the packages built for each kernel`,
    options.maintainer,
    date,
  );
  await writeFile(
    join(work, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${build.version}\nArchitecture: all\nMaintainer: ${options.maintainer}\n` +
      `Section: kernel\nPriority: optional\nDepends: ${parts.map((p) => `${p.name} (= ${p.version})`).join(', ')}\n` +
      `Description: ${build.package} kernel module packages for every kernel built for\n` +
      ` Depends on the ${build.package} package built for each kernel.\n`,
  );
  const file = join(out, `${name}_${build.version}_all.deb`);
  run('dpkg-deb', ['--build', '--root-owner-group', work, file]);
  return { name, version: build.version, file, kind: 'meta' };
}

async function metaRpm(
  build: PackedBuild,
  parts: ReadonlyArray<PackageIdentity>,
  work: string,
  out: string,
): Promise<PackedPackage> {
  const name = metaName(build.package, 'rpm');
  const first = parts[0]!;
  await mkdir(work, { recursive: true });
  const spec = join(work, `${name}.spec`);
  await writeFile(
    spec,
    [
      `Name: ${name}`,
      `Version: ${first.version}`,
      `Release: ${first.release}`,
      `Summary: ${build.package} kernel module packages for every kernel built for`,
      "License: see the modules' MODULE_LICENSE",
      'BuildArch: noarch',
      ...parts.map((p) => `Requires: ${p.name} = ${p.version}-${p.release}`),
      '%description',
      `Requires the ${build.package} package built for each kernel.`,
      '%files',
      '',
    ].join('\n'),
  );
  run('rpmbuild', ['-bb', ...rpmDefines(join(work, 'top'), out), spec]);
  const file = join(out, `${name}-${first.version}-${first.release}.noarch.rpm`);
  return { name, version: first.version, release: first.release, file, kind: 'meta' };
}
