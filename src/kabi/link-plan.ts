import type { BootCriticalGap, KmpLink, Resolution } from './resolve-types.js';

/** One change to a kernel's weak-updates/, or the depmod run that follows a kernel's changes. */
export type LinkOperation =
  | {
      /** create the link, or replace an existing one by renaming over it (never unlink first) */
      readonly op: 'link';
      readonly kernel: string;
      readonly name: string;
      readonly target: string;
      readonly replaces: string | undefined;
    }
  | { readonly op: 'unlink'; readonly kernel: string; readonly name: string; readonly target: string }
  | { readonly op: 'depmod'; readonly kernel: string };

/**
 * The operations that turn the links on disk into the resolution's. Every create and replace comes
 * before any removal, so a module that stays wanted is never missing, even for an instant, and a
 * kernel's depmod runs once, after its last link changed. Kernels absent from the resolution (being
 * removed) lose their links and get no depmod.
 */
export function planLinks(current: ReadonlyArray<KmpLink>, resolution: Resolution): LinkOperation[] {
  const now = new Map(current.map((l) => [key(l.kernel, l.name), l.target]));
  const wanted = new Map<string, KmpLink>();
  for (const kernel of resolution.kernels) for (const l of kernel.links) wanted.set(key(l.kernel, l.name), l);
  const links: LinkOperation[] = [];
  const unlinks: LinkOperation[] = [];
  const changed = new Set<string>();
  for (const link of [...wanted.values()].sort(order)) {
    const before = now.get(key(link.kernel, link.name));
    if (before === link.target) continue;
    links.push({ op: 'link', kernel: link.kernel, name: link.name, target: link.target, replaces: before });
    changed.add(link.kernel);
  }
  const resolved = new Set(resolution.kernels.map((k) => k.kernel));
  for (const link of [...current].sort(order)) {
    if (wanted.has(key(link.kernel, link.name))) continue;
    unlinks.push({ op: 'unlink', kernel: link.kernel, name: link.name, target: link.target });
    if (resolved.has(link.kernel)) changed.add(link.kernel);
  }
  const depmods: LinkOperation[] = [...changed].sort().map((kernel) => ({ op: 'depmod', kernel }));
  return [...links, ...unlinks, ...depmods];
}

/**
 * KR-REFUSE: the boot-critical gaps that forbid a change: a kernel that had the package loses it, or a kernel
 * being added (`adding`) would start without it.
 */
export function blockingGaps(resolution: Resolution, adding: ReadonlyArray<string> = []): BootCriticalGap[] {
  return resolution.kernels.flatMap((k) => k.gaps.filter((gap) => gap.had || adding.includes(gap.kernel)));
}

function key(kernel: string, name: string): string {
  return `${kernel}\0${name}`;
}

function order(a: KmpLink, b: KmpLink): number {
  return a.kernel < b.kernel ? -1 : a.kernel > b.kernel ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
