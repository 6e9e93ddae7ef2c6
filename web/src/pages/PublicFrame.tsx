import type { ReactNode } from 'react';
import { useBusiness } from '../lib/session';

/** The frame of the pages seen before signing in: the business's name and colour, one card in the middle. */
export function PublicFrame({ title, children, wide = false }: { title: string; children: ReactNode; wide?: boolean }) {
  const business = useBusiness().data;
  return (
    <div className="flex min-h-screen flex-col items-center bg-stone-100 px-4 py-10">
      {business?.logo_url ? <img src={business.logo_url} alt="" className="mb-3 h-16 w-auto max-w-[12rem] object-contain" data-testid="business-logo" /> : null}
      <p className="mb-6 text-xl font-bold text-brand" data-testid="business-name">
        {business?.name ?? 'Brigade'}
      </p>
      <main className={`w-full rounded-xl border border-stone-200 bg-white p-6 shadow-sm sm:p-8 ${wide ? 'max-w-3xl' : 'max-w-md'}`}>
        <h1 className="mb-6 text-2xl font-semibold tracking-tight">{title}</h1>
        {children}
      </main>
    </div>
  );
}
