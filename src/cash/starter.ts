import type { StarterData } from '../core/starter.ts';
import { createRegister } from './service.ts';

/** A new business with cash counting starts with one register at its first location, named by its template. */
export function contributeCashStarter(starter: StarterData): void {
  starter.contribute('cash', 'cash', async (tx, ctx) => {
    await createRegister(tx, { location_id: ctx.locationId, name: ctx.names.register ?? 'Front counter' });
  });
}
