/** The cash API's shapes as they travel (instants as ISO strings), taken from the server's own schemas. */
import type { z } from 'zod';
import type * as s from '../../../../src/cash/schemas.ts';

export type CashRules = z.input<typeof s.cashRules>;
export type BusinessSettings = z.input<typeof s.businessSettings>;
export type LocationSettings = z.input<typeof s.locationSettings>;
export type Register = z.input<typeof s.register>;
export type RegisterDetail = z.input<typeof s.registerDetail>;
export type Drawer = z.input<typeof s.drawer>;
export type DrawerListItem = z.input<typeof s.drawerListItem>;
export type Movement = z.input<typeof s.movement>;
export type MovementKind = Movement['kind'];
export type Count = z.input<typeof s.count>;
export type CountLine = z.input<typeof s.countLine>;
export type Denomination = z.input<typeof s.denomination>;
export type ReconciliationSummary = z.input<typeof s.reconciliationSummary>;
export type Reconciliation = z.input<typeof s.reconciliation>;
export type DayStatus = z.input<typeof s.dayStatus>;
export type DayClose = z.input<typeof s.dayClose>;
export type VarianceReport = z.input<typeof s.varianceReport>;

export const MOVEMENT_LABELS: Record<MovementKind, string> = {
  cash_sale: 'Cash sales',
  cash_in: 'Cash in',
  pay_out: 'Pay out',
  tip_out: 'Tip out',
  drop: 'Drop to safe',
};

export const RECONCILIATION_STATUS: Record<ReconciliationSummary['status'], string> = {
  accepted: 'Balanced',
  pending: 'Waiting for a manager',
  approved: 'Approved',
  rejected: 'Rejected: recount',
};
