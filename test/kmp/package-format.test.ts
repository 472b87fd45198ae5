import { describe, expect, it } from 'vitest';
import { metaName, PackageNameError, packageIdentity } from '../../src/kmp/index.js';

const build = (pkg: string, version: string, kernel = '6.1.0-57-amd64') => ({
  package: pkg,
  version,
  kernel,
  bootCritical: false,
});

describe('"KMP X for kernel Y" names (docs/kmp-packages.md, Naming)', () => {
  it('deb: <package>-kmp-<kernel>, the version as it stands, files in the build store directory', () => {
    expect(packageIdentity(build('acme-net', '1.2-3'), 'deb')).toEqual({
      name: 'acme-net-kmp-6.1.0-57-amd64',
      version: '1.2-3',
      storeDir: '/usr/lib/klpm/kmp/acme-net/1.2-3/6.1.0-57-amd64',
    });
  });

  it('deb --coinstallable: the upstream version goes into the name, the revision does not', () => {
    expect(packageIdentity(build('acme-net', '1.2-3'), 'deb', true).name).toBe(
      'acme-net-1.2-kmp-6.1.0-57-amd64',
    );
    expect(packageIdentity(build('acme-net', '1.2'), 'deb', true).name).toBe(
      'acme-net-1.2-kmp-6.1.0-57-amd64',
    );
  });

  it("deb: '_' maps to '-', upper case, '^' and versions not starting with a digit are refused", () => {
    expect(packageIdentity(build('acme_net', '1.0'), 'deb').name).toBe('acme-net-kmp-6.1.0-57-amd64');
    expect(() => packageIdentity(build('Acme', '1.0'), 'deb')).toThrow(PackageNameError);
    expect(() => packageIdentity(build('acme', '1.0^git1'), 'deb')).toThrow(/PN-DEB-VERSION/);
    expect(() => packageIdentity(build('acme', 'v1.0'), 'deb')).toThrow(/PN-DEB-VERSION/);
    expect(() => packageIdentity(build('acme', '1.0_1'), 'deb')).toThrow(/PN-DEB-VERSION/);
    // a kernel release with '~' cannot be in a Debian name
    expect(() => packageIdentity(build('acme', '1.0', '6.1~rc1'), 'deb')).toThrow(/PN-DEB-NAME/);
  });

  it('rpm: Version and Release split at the last -, Release 0 without one', () => {
    expect(packageIdentity(build('acme-net', '1.2-3'), 'rpm')).toMatchObject({
      name: 'acme-net-kmp-6.1.0-57-amd64',
      version: '1.2',
      release: '3',
    });
    expect(packageIdentity(build('acme-net', '1.2.post-4.el9'), 'rpm')).toMatchObject({
      version: '1.2.post',
      release: '4.el9',
    });
    expect(packageIdentity(build('acme', '2.0~rc1'), 'rpm')).toMatchObject({
      version: '2.0~rc1',
      release: '0',
    });
    expect(packageIdentity(build('Acme_Net', '1.0^git1-1'), 'rpm')).toMatchObject({
      name: 'Acme_Net-kmp-6.1.0-57-amd64',
      version: '1.0^git1',
    });
    expect(() => packageIdentity(build('acme', '1.0-'), 'rpm')).toThrow(/PN-RPM-VERSION/);
  });

  it('meta-packages', () => {
    expect(metaName('acme_net', 'deb')).toBe('acme-net-kmp');
    expect(metaName('acme_net', 'rpm')).toBe('acme_net-kmp');
  });
});
