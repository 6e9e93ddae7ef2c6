import type { ReactNode } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../lib/api';
import { Alert, Button, errorMessage, Modal } from './index';

/**
 * Confirms revoking a credential (a kiosk, an API key): a DELETE of `path`, then the list under `listKey` reloads.
 * Closing is refused while the revocation is in flight, so nobody wonders whether it happened.
 */
export function RevokeDialog({
  target,
  kind,
  path,
  listKey,
  onClose,
  children,
}: {
  target: { id: string; name: string } | null;
  /** "kiosk", "key": the confirm button says "Revoke {kind}". */
  kind: string;
  path: (id: string) => string;
  listKey: string;
  onClose: () => void;
  /** What revoking does, in the restaurant's words. */
  children: ReactNode;
}) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(path(id)),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: [listKey] });
      onClose();
    },
  });
  const close = () => {
    if (revoke.isPending) return;
    revoke.reset();
    onClose();
  };
  return (
    <Modal
      open={target !== null}
      onClose={close}
      title={`Revoke ${target?.name ?? kind}?`}
      actions={
        <>
          <Button tone="secondary" onClick={close} disabled={revoke.isPending}>
            Cancel
          </Button>
          <Button tone="danger" busy={revoke.isPending} onClick={() => target && revoke.mutate(target.id)}>
            Revoke {kind}
          </Button>
        </>
      }
    >
      <p className="text-stone-700">{children}</p>
      {revoke.isError && <Alert>{errorMessage(revoke.error)}</Alert>}
    </Modal>
  );
}
