import { pathPrefix } from '../lib/api';
import { PublicFrame } from './PublicFrame';

/** The guest's pages (join the waitlist, follow one's place): a guest needs no account to reach them. */
const GUEST_PAGE = /^\/(?:w|q\/[^/]+|e\/[^/]+)\/?$/;

/**
 * A suspended or cancelled business answers `tenant_suspended` to everything, its own name included. A guest at
 * the door learns only that joining online is unavailable for now; anyone else (the sign-in page, a bookmarked
 * page) that the account is suspended and who can lift it. Nothing of the business's data is gone.
 */
export function BusinessUnavailable() {
  const path = window.location.pathname.slice(pathPrefix.length) || '/';
  if (GUEST_PAGE.test(path)) {
    return (
      <PublicFrame title="Temporarily unavailable">
        <div role="alert" data-testid="unavailable" className="flex flex-col gap-2 text-stone-800">
          <p className="text-lg">Joining the waitlist online is temporarily unavailable.</p>
          <p>Please ask at the door: the team will add you to the list.</p>
        </div>
      </PublicFrame>
    );
  }
  return (
    <PublicFrame title="Account suspended">
      <div role="alert" data-testid="unavailable" className="flex flex-col gap-2 text-stone-800">
        <p className="text-lg">This account is suspended, so nobody can sign in for now.</p>
        <p>Contact the owner of the business: once the account is active again, everything is where it was.</p>
      </div>
    </PublicFrame>
  );
}
