const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as `30s`, `10m`, `2h` or `1d`, in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})([smhd])$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A host is silent when no report came for twice its check-in interval. */
export function isSilent(lastSeenMs: number, intervalSeconds: number, nowMs: number): boolean {
  return nowMs - lastSeenMs > 2 * intervalSeconds * 1000;
}
