import { useState } from 'react';
import { Button } from './index';

/**
 * Newer/Older paging over a cursor-paged list. The cursors already followed are kept as a stack, so "Newer" goes
 * back exactly; a change of filters (`filterKey`) starts again at the first page.
 */
export function useCursorPaging(filterKey: string) {
  const [paging, setPaging] = useState<{ key: string; stack: string[] }>({ key: filterKey, stack: [] });
  const stack = paging.key === filterKey ? paging.stack : [];
  return {
    cursor: stack[stack.length - 1],
    page: stack.length + 1,
    newer: stack.length > 0 ? () => setPaging({ key: filterKey, stack: stack.slice(0, -1) }) : null,
    older: (next: string) => setPaging({ key: filterKey, stack: [...stack, next] }),
  };
}

export function Pager({
  label,
  paging,
  next,
  placeholder,
  fetching,
}: {
  /** The navigation's accessible name, e.g. "Audit pages". */
  label: string;
  paging: ReturnType<typeof useCursorPaging>;
  /** The list's `next_cursor`. */
  next: string | null | undefined;
  /** True while the previous page is still shown and the next one loads. */
  placeholder: boolean;
  fetching: boolean;
}) {
  return (
    <nav aria-label={label} className="flex flex-wrap items-center gap-2">
      <Button tone="secondary" disabled={!paging.newer} onClick={() => paging.newer?.()}>
        Newer
      </Button>
      <Button tone="secondary" disabled={!next || placeholder} onClick={() => next && paging.older(next)}>
        Older
      </Button>
      <span className="text-sm text-stone-600">Page {paging.page}</span>
      {fetching && <span className="text-sm text-stone-600">Updating…</span>}
    </nav>
  );
}
