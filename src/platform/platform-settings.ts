import type { PlatformTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';

/** The operator's settings for the whole service (one row, platform path only). */
export interface PlatformSettings {
  trial_days: number;
  sign_up_open: boolean;
  sign_up_plan: string;
  support_email: string | null;
  version: number;
  updated_at: Date;
  updated_by: string | null;
}

const COLUMNS = 'trial_days, sign_up_open, sign_up_plan, support_email, version, updated_at, updated_by';

export async function platformSettings(tx: Pick<PlatformTx, 'query'>): Promise<PlatformSettings> {
  const [s] = await tx.query<PlatformSettings>(`SELECT ${COLUMNS} FROM platform_settings`);
  // Migration 013 writes the row; a database without it is a broken installation, not a default to guess.
  if (!s) throw new Error('platform_settings has no row: run the migrations');
  return s;
}

export type PlatformSettingsChange = Pick<PlatformSettings, 'trial_days' | 'sign_up_open' | 'sign_up_plan' | 'support_email' | 'version'>;

/** Saves the settings if nobody saved since `version` was read; returns the new row and what changed. */
export async function updatePlatformSettings(
  tx: PlatformTx,
  change: PlatformSettingsChange,
): Promise<{ settings: PlatformSettings; changes: Record<string, { from: unknown; to: unknown }> }> {
  const before = await platformSettings(tx);
  const [after] = await tx.query<PlatformSettings>(
    `UPDATE platform_settings SET trial_days = $1, sign_up_open = $2, sign_up_plan = $3, support_email = $4,
            version = version + 1, updated_at = now(), updated_by = $6
      WHERE version = $5 RETURNING ${COLUMNS}`,
    [change.trial_days, change.sign_up_open, change.sign_up_plan, change.support_email, change.version, tx.actor.label],
  );
  if (!after) throw errors.staleVersion();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of ['trial_days', 'sign_up_open', 'sign_up_plan', 'support_email'] as const) {
    if (before[k] !== after[k]) changes[k] = { from: before[k], to: after[k] };
  }
  return { settings: after, changes };
}
