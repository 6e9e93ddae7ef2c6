/** Zones the server accepts (IANA `Area/City` or UTC), with the one already stored even if this browser lacks it. */
export function timeZoneChoices(current: string): string[] {
  const all = Intl.supportedValuesOf('timeZone').filter((tz) => tz.includes('/'));
  const zones = ['UTC', ...all];
  if (current && !zones.includes(current)) zones.push(current);
  return zones;
}
