import { lazy, Suspense, type ReactNode } from 'react';
import { Loading } from '../../ui';

// Loaded when first opened: a guest joining from a phone downloads the join page, not the host's board.
const WaitlistBoardPage = lazy(() => import('./Board').then((m) => ({ default: m.WaitlistBoardPage })));
const WaitlistQueuesPage = lazy(() => import('./Queues').then((m) => ({ default: m.WaitlistQueuesPage })));
const WaitlistAnalyticsPage = lazy(() => import('./Analytics').then((m) => ({ default: m.WaitlistAnalyticsPage })));
const WaitlistQueuesPublicPage = lazy(() => import('./Guest').then((m) => ({ default: m.WaitlistQueuesPublicPage })));
const JoinQueuePage = lazy(() => import('./Guest').then((m) => ({ default: m.JoinQueuePage })));
const GuestEntryPage = lazy(() => import('./Guest').then((m) => ({ default: m.GuestEntryPage })));
const KioskWaitlistPage = lazy(() => import('./KioskWaitlist').then((m) => ({ default: m.KioskWaitlistPage })));

const page = (el: ReactNode) => <Suspense fallback={<Loading />}>{el}</Suspense>;

/** The host's pages inside the signed-in layout. */
export const waitlistRoutes = [
  { path: 'waitlist', element: page(<WaitlistBoardPage />) },
  { path: 'waitlist/queues', element: page(<WaitlistQueuesPage />) },
  { path: 'waitlist/analytics', element: page(<WaitlistAnalyticsPage />) },
];

/** The guest's pages: no sign-in, the entry token in the address is the credential. */
export const waitlistPublicRoutes = [
  { path: '/w', element: page(<WaitlistQueuesPublicPage />) },
  { path: '/q/:queueId', element: page(<JoinQueuePage />) },
  { path: '/e/:token', element: page(<GuestEntryPage />) },
];

/** The host stand on the shared kiosk, for a person signed in with their PIN. */
export const kioskWaitlistRoute = { path: '/kiosk/waitlist', element: page(<KioskWaitlistPage />) };
