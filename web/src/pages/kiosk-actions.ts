/**
 * What a person signed in with their PIN may do on the shared tablet. A module adds its kiosk actions here (the time
 * clock's "Clock in", the cash module's "Count the drawer") with the permission they need; the kiosk screen shows
 * only the ones the PIN session holds at the kiosk's location, so each person sees their own short list.
 */
interface KioskActionBase {
  label: string;
  /** One line under the label, in the restaurant's words ("Start your shift"). */
  description?: string;
  /** Shown when the PIN session holds this permission (PIN sessions are scoped to the kiosk's location). */
  permission: string;
}

export type KioskAction = KioskActionBase & ({ to: string; onClick?: never } | { onClick: () => void | Promise<void>; to?: never });

export const kioskActions: KioskAction[] = [
  // The PIN session's cash pages live beside the kiosk (/kiosk/cash): the signed-in /cash sends PIN sessions away.
  { label: 'Cash drawer', description: 'Open, record, count', permission: 'cash.drawer.operate', to: '/kiosk/cash' },
  { label: 'Waitlist', description: 'Call and seat guests', permission: 'waitlist.entry.serve', to: '/kiosk/waitlist' },
];
