import type { StarterData } from '../core/starter.ts';
import { createStarterQueue } from './service.ts';

/** A new business with the waitlist starts with one open queue at its first location, named by its template. */
export function contributeWaitlistStarter(starter: StarterData): void {
  starter.contribute('waitlist', 'waitlist', async (tx, ctx) => {
    await createStarterQueue(tx, ctx.locationId, ctx.names.queue ?? 'Dining room');
  });
}
