/**
 * Clone detection: two machines reporting with one host's token (a disk image copied with the
 * agent's state, so the same machine-id, token and seq). A real machine's seq only grows (the agent
 * keeps it across reboots) and its boot id changes only at a reboot, to a new random one (the
 * kernel's random/boot_id), so two things cannot happen on one machine:
 * - a report whose seq is not above the stored one, from another boot than the stored report's: the
 *   seq was already used by that other boot (a resent report, same boot, is only stale);
 * - a boot id that comes back: the report's boot is the one before the stored report's boot.
 * Either is a conflict: the report is not merged into the host's state.
 */

export interface StoredBoot {
  readonly seq: number | null;
  readonly bootId: string | null;
  /** the boot id before `bootId`, when the host has rebooted since it enrolled */
  readonly previousBootId: string | null;
}

/** Why this report cannot come from the machine whose reports are stored, or undefined when it can. */
export function cloneConflict(
  stored: StoredBoot,
  report: { readonly seq: number; readonly bootId: string },
): string | undefined {
  if (stored.seq === null || stored.bootId === null || report.bootId === stored.bootId) return undefined;
  if (report.seq <= stored.seq)
    return `report ${report.seq} from boot ${report.bootId} is not above report ${stored.seq} from boot ${stored.bootId}: two machines report with this host's token`;
  if (report.bootId === stored.previousBootId)
    return `boot ${report.bootId} came back after boot ${stored.bootId}: two machines report with this host's token`;
  return undefined;
}
