import type { TenantTx } from './db/tx.ts';

/** What a module needs to know to give a new business its starter data. */
export interface StarterContext {
  /** The template the business chose (restaurant, cafe, bar, hotel_restaurant, retail). */
  template: string;
  /** The features the business starts with: a module whose feature is off contributes nothing. */
  features: readonly string[];
  businessName: string;
  /** What the template calls its starter rows (`queue`, `register`…); a module takes its own. */
  names: Readonly<Record<string, string | undefined>>;
  /** The business's first location, created by org's contribution (which runs first). */
  locationId: string;
}

type Contribution = (tx: TenantTx, ctx: StarterContext) => Promise<void>;

/**
 * Starter data for a new business, contributed by each module for itself (a default queue, a register, later
 * break types and equipment with safe temperatures). The platform's templates only choose; a module added later
 * registers its part here without touching the platform module.
 */
export class StarterData {
  private parts: { module: string; feature: string | null; fn: Contribution }[] = [];

  contribute(module: string, feature: string | null, fn: Contribution): void {
    if (this.parts.some((p) => p.module === module)) throw new Error(`starter data for ${module} contributed twice`);
    this.parts.push({ module, feature, fn });
  }

  async apply(tx: TenantTx, ctx: StarterContext): Promise<string[]> {
    const applied: string[] = [];
    for (const p of this.parts) {
      if (p.feature && !ctx.features.includes(p.feature)) continue;
      await p.fn(tx, ctx);
      applied.push(p.module);
    }
    return applied;
  }
}
