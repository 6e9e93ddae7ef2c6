import { useState } from 'react';
import { TextField } from './index';

/** A new password typed twice: the state, and `confirm()` to call on submit (false, and says so, when they differ). */
export function useNewPassword() {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    repeat,
    mismatch,
    setPassword(v: string) {
      setPassword(v);
      setMismatch(false);
    },
    setRepeat(v: string) {
      setRepeat(v);
      setMismatch(false);
    },
    confirm(): boolean {
      setMismatch(password !== repeat);
      return password === repeat;
    },
    clear() {
      setPassword('');
      setRepeat('');
      setMismatch(false);
    },
  };
}

export function NewPasswordFields({
  state,
  label = 'New password',
  repeatLabel = 'New password again',
  hint,
  error,
}: {
  state: ReturnType<typeof useNewPassword>;
  label?: string;
  repeatLabel?: string;
  hint?: string;
  /** The server's word on the password (too short, too common), shown beside it. */
  error?: string;
}) {
  return (
    <>
      <TextField
        label={label}
        type="password"
        name="new-password"
        autoComplete="new-password"
        required
        value={state.password}
        onChange={(e) => state.setPassword(e.target.value)}
        hint={hint ?? 'At least 8 characters. A few unrelated words make a strong one.'}
        error={error}
      />
      <TextField
        label={repeatLabel}
        type="password"
        name="new-password-repeat"
        autoComplete="new-password"
        required
        value={state.repeat}
        onChange={(e) => state.setRepeat(e.target.value)}
        error={state.mismatch ? 'The two passwords are not the same.' : undefined}
      />
    </>
  );
}
