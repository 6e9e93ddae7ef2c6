import { useEffect, useRef, useState } from 'react';

/** The last seconds before the idle sign-out, during which the screen warns. */
export const WARNING_SECONDS = 10;

/**
 * Calls `onIdle` once after `seconds` with no touch, click or key while `active`, and during the last
 * WARNING_SECONDS returns how many are left (null otherwise). It checks Date.now() on a short interval instead of
 * holding one long timeout, so a tablet that slept (or a test that moves the clock) lands on the right answer.
 */
export function useIdleCountdown(seconds: number, onIdle: () => void, active: boolean): number | null {
  const [left, setLeft] = useState<number | null>(null);
  const callback = useRef(onIdle);
  useEffect(() => {
    callback.current = onIdle;
  });

  useEffect(() => {
    if (!active) return;
    let deadline = Date.now() + seconds * 1000;
    let fired = false;
    let shown: number | null = null;
    const show = (n: number | null) => {
      if (n !== shown) setLeft((shown = n));
    };
    const tick = () => {
      if (fired) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        fired = true;
        show(null);
        callback.current();
      } else {
        show(remaining <= WARNING_SECONDS * 1000 ? Math.ceil(remaining / 1000) : null);
      }
    };
    const stillHere = () => {
      if (fired) return;
      deadline = Date.now() + seconds * 1000;
      show(null);
    };
    const events = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel', 'input'] as const;
    for (const e of events) window.addEventListener(e, stillHere, { passive: true });
    const timer = window.setInterval(tick, 500);
    return () => {
      window.clearInterval(timer);
      for (const e of events) window.removeEventListener(e, stillHere);
      setLeft(null);
    };
  }, [seconds, active]);

  return left;
}
