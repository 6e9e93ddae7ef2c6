import { lazy, Suspense, type ReactNode } from 'react';
import { Loading } from '../../ui';

// Loaded when first opened: a waiter on the kiosk never downloads the reports page.
const CashPage = lazy(() => import('./Cash').then((m) => ({ default: m.CashPage })));
const DrawerPage = lazy(() => import('./Drawer').then((m) => ({ default: m.DrawerPage })));
const ApprovalsPage = lazy(() => import('./Approvals').then((m) => ({ default: m.ApprovalsPage })));
const ReconciliationPage = lazy(() => import('./Approvals').then((m) => ({ default: m.ReconciliationPage })));
const DayPage = lazy(() => import('./Day').then((m) => ({ default: m.DayPage })));
const ZReportPage = lazy(() => import('./Day').then((m) => ({ default: m.ZReportPage })));
const CashReportsPage = lazy(() => import('./Reports').then((m) => ({ default: m.CashReportsPage })));
const CashSettingsPage = lazy(() => import('./Settings').then((m) => ({ default: m.CashSettingsPage })));
const KioskCashPage = lazy(() => import('./KioskCash').then((m) => ({ default: m.KioskCashPage })));

const page = (el: ReactNode) => <Suspense fallback={<Loading />}>{el}</Suspense>;

/** The cash pages inside the signed-in layout. */
export const cashRoutes = [
  { path: 'cash', element: page(<CashPage />) },
  { path: 'cash/drawers/:id', element: page(<DrawerPage />) },
  { path: 'cash/approvals', element: page(<ApprovalsPage />) },
  { path: 'cash/reconciliations/:id', element: page(<ReconciliationPage />) },
  { path: 'cash/day', element: page(<DayPage />) },
  { path: 'cash/day-closes/:id', element: page(<ZReportPage />) },
  { path: 'cash/reports', element: page(<CashReportsPage />) },
  { path: 'cash/settings', element: page(<CashSettingsPage />) },
];

/** The drawer on the shared kiosk, for a person signed in with their PIN. */
export const kioskCashRoute = { path: '/kiosk/cash', element: page(<KioskCashPage />) };
