import { z } from 'zod';
import { diff } from '../core/audit.ts';
import type { TenantTx } from '../core/db/tx.ts';
import { route, type RouteSpec } from '../core/http.ts';
import type { Jobs } from '../core/jobs.ts';
import { idParams } from '../core/schemas.ts';
import type { Mailer } from '../integrations/mail.ts';
import * as s from './schemas.ts';
import * as service from './service.ts';

const tags = ['cash'];
const EXAMPLE_ID = '0190a000-0000-7000-8000-000000000000';
const DEADLINE_JOB = 'cash.deadline';

export interface CashRouteDeps {
  jobs: Jobs;
  mailer: Mailer;
  /** The business's own address, for links in reminder mail. */
  tenantUrl(slug: string): string;
}

export function cashRoutes(deps: CashRouteDeps): RouteSpec[] {
  const { jobs, mailer } = deps;

  // The job carries the business's slug and currency: a job runs in its tenant's transaction, without the request's host.
  const cashDeps = (biz: { slug: string; currency: string }): service.CashDeps => ({
    async scheduleDeadline(tx, locationId, businessDate, runAt) {
      const delay = Math.max(0, Math.ceil((runAt.getTime() - Date.now()) / 1000));
      await jobs.enqueue(tx, DEADLINE_JOB, { location_id: locationId, business_date: businessDate, slug: biz.slug, currency: biz.currency }, delay);
    },
  });

  // The deadline reminder: a durable job per location and business day, scheduled when the day's first drawer opens.
  jobs.register(DEADLINE_JOB, (tx: TenantTx, payload) => {
    const biz = { slug: String(payload.slug), currency: String(payload.currency) };
    return service.remindAtDeadline(tx, biz, String(payload.location_id), String(payload.business_date), {
      mailer,
      tenantUrl: deps.tenantUrl,
      reschedule: (at) => cashDeps(biz).scheduleDeadline(tx, String(payload.location_id), String(payload.business_date), at),
    });
  });

  return [
    // ------------------------------------------------------------ settings
    route({
      method: 'GET',
      url: '/api/v1/cash/settings',
      summary: 'The business\'s cash rules: denominations, default float, tolerance, approval, deadline, blind counts',
      tags,
      access: 'tenant',
      permission: 'cash.register.read',
      response: s.businessSettings,
      handler: ({ tx, tenant }) => service.getBusinessSettings(tx, tenant),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/cash/settings',
      summary: 'Set the business\'s cash rules',
      tags,
      access: 'tenant',
      permission: 'cash.settings.manage',
      body: s.putBusinessSettings,
      example: {
        denominations: [
          { value: 2000, kind: 'note' },
          { value: 1000, kind: 'note' },
          { value: 500, kind: 'note' },
          { value: 100, kind: 'note' },
          { value: 25, kind: 'coin' },
          { value: 10, kind: 'coin' },
          { value: 5, kind: 'coin' },
          { value: 1, kind: 'coin' },
        ],
        default_float: 20000,
        variance_tolerance: 500,
        approval_required: true,
        deadline: '23:59',
        blind_counts: true,
      },
      response: s.businessSettings,
      handler: async ({ tx, tenant, body, audit }) => {
        const { before, after } = await service.putBusinessSettings(tx, tenant, body);
        if (before.deadline !== after.deadline) await service.rescheduleDeadlines(tx, tenant, cashDeps(tenant), null);
        await audit({ action: 'cash.settings.updated', resourceType: 'cash_settings', resourceId: tx.tenantId, risk: 'medium', changes: diff(before, after) });
        return after;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/locations/:id/settings',
      summary: 'A location\'s cash rules: its own values and what applies there',
      tags,
      access: 'tenant',
      permission: 'cash.register.read',
      resource: 'location',
      params: idParams,
      response: s.locationSettings,
      handler: ({ tx, tenant, principal, params }) => service.getLocationSettings(tx, tenant, params.id, principal.scope('cash.register.read')),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/cash/locations/:id/settings',
      summary: 'Set a location\'s own cash rules (null: as the business)',
      tags,
      access: 'tenant',
      permission: 'cash.settings.manage',
      resource: 'location',
      params: idParams,
      body: s.putLocationSettings,
      example: { denominations: null, default_float: 15000, variance_tolerance: null, approval_required: true, deadline: '02:00', blind_counts: null },
      response: s.locationSettings,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const { before, after } = await service.putLocationSettings(tx, tenant, params.id, principal.scope('cash.settings.manage'), body);
        if (before.effective.deadline !== after.effective.deadline) await service.rescheduleDeadlines(tx, tenant, cashDeps(tenant), params.id);
        await audit({ action: 'cash.location_settings.updated', resourceType: 'location', resourceId: params.id, locationId: params.id, risk: 'medium', changes: diff(before.overrides, after.overrides) });
        return after;
      },
    }),

    // ------------------------------------------------------------ registers
    route({
      method: 'GET',
      url: '/api/v1/cash/registers',
      summary: 'Registers at the caller\'s locations, each with the drawer now in it',
      tags,
      access: 'tenant',
      permission: 'cash.register.read',
      query: s.registerQuery,
      response: z.object({ items: z.array(s.register) }),
      handler: ({ tx, principal, query }) => service.listRegisters(tx, principal.scope('cash.register.read'), query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/registers/:id',
      summary: 'A register, its rules, and its last closing count (to pre-fill the next opening float)',
      tags,
      access: 'tenant',
      permission: 'cash.register.read',
      resource: 'register',
      params: idParams,
      response: s.registerDetail,
      handler: ({ tx, tenant, principal, params }) => service.getRegister(tx, tenant, params.id, principal.scope('cash.register.read')),
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/registers',
      summary: 'Add a register to a location',
      tags,
      access: 'tenant',
      permission: 'cash.settings.manage',
      body: s.createRegister,
      example: { location_id: EXAMPLE_ID, name: 'Bar register' },
      status: 201,
      response: s.register,
      handler: async ({ tx, principal, body, audit }) => {
        const created = await service.createRegister(tx, body, principal.scope('cash.settings.manage'));
        await audit({ action: 'cash.register.created', resourceType: 'cash_register', resourceId: created.id, locationId: created.location_id, risk: 'low', changes: body });
        return created;
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/cash/registers/:id',
      summary: 'Rename a register, or take it out of use and back',
      tags,
      access: 'tenant',
      permission: 'cash.settings.manage',
      resource: 'register',
      params: idParams,
      body: s.updateRegister,
      example: { version: 1, name: 'Front register' },
      response: s.register,
      handler: async ({ tx, principal, params, body, audit }) => {
        const { before, after } = await service.updateRegister(tx, params.id, principal.scope('cash.settings.manage'), body);
        await audit({ action: 'cash.register.updated', resourceType: 'cash_register', resourceId: after.id, locationId: after.location_id, risk: 'low', changes: diff(before, { name: after.name, active: after.active }) });
        return after;
      },
    }),

    // ------------------------------------------------------------ drawers
    route({
      method: 'POST',
      url: '/api/v1/cash/registers/:id/drawers',
      summary: 'Open a drawer in a register with its opening float, counted by denomination',
      tags,
      access: 'tenant',
      permission: 'cash.drawer.operate',
      resource: 'register',
      params: idParams,
      body: s.openDrawer,
      example: { opening_count: [{ value: 2000, quantity: 5 }, { value: 500, quantity: 10 }, { value: 25, quantity: 40 }] },
      status: 201,
      response: s.drawer,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const id = await service.openDrawer(tx, tenant, cashDeps(tenant), principal, params.id, body);
        const drawer = await service.getDrawer(tx, tenant, principal, id);
        await audit({
          action: 'cash.drawer.opened',
          resourceType: 'cash_drawer',
          resourceId: id,
          locationId: drawer.location_id,
          risk: 'low',
          changes: { register: drawer.register.name, opening_float: drawer.totals.opening_float, business_date: drawer.business_date },
        });
        return drawer;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/drawers',
      summary: 'Drawers, newest first: one\'s own, or everyone\'s at locations where one may read all',
      tags,
      access: 'tenant',
      permission: 'cash.drawer.operate',
      query: s.drawerQuery,
      response: z.object({ items: z.array(s.drawerListItem), next_cursor: z.string().nullable() }),
      handler: ({ tx, principal, query }) => service.listDrawers(tx, principal, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/drawers/:id',
      summary: 'A drawer with its movements, counts and reconciliations (expected amounts hidden from a blind counter)',
      tags,
      access: 'tenant',
      permission: 'cash.drawer.operate',
      resource: 'drawer',
      params: idParams,
      response: s.drawer,
      handler: ({ tx, tenant, principal, params }) => service.getDrawer(tx, tenant, principal, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/drawers/:id/movements',
      summary: 'Record cash sales (from the POS), cash in, a pay out, a tip out or a drop to the safe',
      tags,
      access: 'tenant',
      permission: 'cash.drawer.operate',
      resource: 'drawer',
      params: idParams,
      body: s.recordMovement,
      example: { kind: 'pay_out', amount: 1250, reason: 'Ice from the corner shop' },
      status: 201,
      response: s.movement,
      handler: async ({ tx, principal, params, body, audit }) => {
        const { movement, drawer, replayed } = await service.recordMovement(tx, principal, params.id, body);
        if (!replayed) {
          await audit({
            action: 'cash.movement.recorded',
            resourceType: 'cash_drawer',
            resourceId: drawer.id,
            locationId: drawer.location_id,
            risk: body.kind === 'pay_out' ? 'medium' : 'low',
            changes: { movement_id: movement.id, kind: body.kind, amount: body.amount, reason: body.reason ?? null, external_ref: body.external_ref ?? null },
          });
        } else {
          await audit({ action: 'cash.movement.replayed', resourceType: 'cash_drawer', resourceId: drawer.id, locationId: drawer.location_id, risk: 'low', changes: { external_ref: body.external_ref ?? null } });
        }
        return movement;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/drawers/:id/count',
      summary: 'Count the drawer by denomination and submit it: the reconciliation is balanced, or waits for a manager',
      tags,
      access: 'tenant',
      permission: 'cash.drawer.operate',
      resource: 'drawer',
      params: idParams,
      body: s.submitCount,
      example: { lines: [{ value: 2000, quantity: 5 }, { value: 500, quantity: 9 }, { value: 25, quantity: 40 }] },
      status: 201,
      response: s.reconciliationSummary,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const { view, judgement, drawer, counted } = await service.submitCount(tx, tenant, principal, params.id, body);
        await audit({
          action: 'cash.count.submitted',
          resourceType: 'cash_reconciliation',
          resourceId: view.id,
          locationId: drawer.location_id,
          risk: judgement.outcome === 'flagged' ? 'high' : 'medium',
          changes: { drawer_id: drawer.id, attempt: view.attempt, counted, expected: judgement.expected, variance: judgement.variance, outcome: judgement.outcome, status: judgement.status },
        });
        return view;
      },
    }),

    // ------------------------------------------------------------ reconciliations
    route({
      method: 'GET',
      url: '/api/v1/cash/reconciliations',
      summary: 'Reconciliations, newest first (filters: location, register, person, status, business dates)',
      tags,
      access: 'tenant',
      permission: 'cash.reconciliation.read',
      query: s.reconciliationQuery,
      response: z.object({ items: z.array(s.reconciliationSummary), next_cursor: z.string().nullable() }),
      handler: ({ tx, principal, query }) => service.listReconciliations(tx, principal, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/reconciliations/pending',
      summary: 'Counts waiting for the caller\'s approval (not their own), oldest first',
      tags,
      access: 'tenant',
      permission: 'cash.reconciliation.approve',
      response: z.object({ items: z.array(s.reconciliationSummary) }),
      handler: ({ tx, principal }) => service.pendingReconciliations(tx, principal),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/reconciliations/:id',
      summary: 'A reconciliation with every movement and count line of its drawer',
      tags,
      access: 'tenant',
      permission: 'cash.reconciliation.read',
      resource: 'reconciliation',
      params: idParams,
      response: s.reconciliation,
      handler: ({ tx, principal, params }) => service.getReconciliation(tx, principal, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/reconciliations/:id/approve',
      summary: 'Approve someone else\'s count',
      tags,
      access: 'tenant',
      permission: 'cash.reconciliation.approve',
      resource: 'reconciliation',
      params: idParams,
      body: s.decide,
      example: { version: 1, comment: 'Pay out receipt found in the safe' },
      response: s.reconciliation,
      handler: async ({ tx, principal, params, body, audit }) => {
        const { before, detail } = await service.decide(tx, principal, params.id, 'approved', body);
        await audit({
          action: 'cash.reconciliation.approved',
          resourceType: 'cash_reconciliation',
          resourceId: params.id,
          locationId: before.location_id,
          risk: before.outcome === 'flagged' ? 'high' : 'medium',
          changes: { status: { from: before.status, to: 'approved' }, variance: before.variance, counted_by: before.submitted_by, comment: body.comment ?? null },
        });
        return detail;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/reconciliations/:id/reject',
      summary: 'Reject a count with a comment: the drawer goes back to be recounted',
      tags,
      access: 'tenant',
      permission: 'cash.reconciliation.approve',
      resource: 'reconciliation',
      params: idParams,
      body: s.reject,
      example: { version: 1, comment: 'Count the coins again' },
      response: s.reconciliation,
      handler: async ({ tx, principal, params, body, audit }) => {
        const { before, detail } = await service.decide(tx, principal, params.id, 'rejected', body);
        await audit({
          action: 'cash.reconciliation.rejected',
          resourceType: 'cash_reconciliation',
          resourceId: params.id,
          locationId: before.location_id,
          risk: 'medium',
          changes: { status: { from: before.status, to: 'rejected' }, variance: before.variance, counted_by: before.submitted_by, comment: body.comment },
        });
        return detail;
      },
    }),

    // ------------------------------------------------------------ day close
    route({
      method: 'GET',
      url: '/api/v1/cash/locations/:id/day',
      summary: 'A location\'s business day: its drawers, what stops it closing, and its close if closed',
      tags,
      access: 'tenant',
      permission: 'cash.day.read',
      resource: 'location',
      params: idParams,
      query: s.dayQuery,
      response: s.dayStatus,
      handler: ({ tx, tenant, principal, params, query }) => service.dayStatus(tx, tenant, params.id, principal.scope('cash.day.read'), query.date),
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/locations/:id/day-closes',
      summary: 'Close a location\'s business day once every drawer is reconciled: numbered, totalled, hashed, immutable',
      tags,
      access: 'tenant',
      permission: 'cash.day.close',
      resource: 'location',
      params: idParams,
      body: s.closeDay,
      example: { business_date: '2026-01-15' },
      status: 201,
      response: s.dayClose,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const close = await service.closeDay(tx, tenant, principal, params.id, body.business_date);
        await audit({
          action: 'cash.day.closed',
          resourceType: 'cash_day_close',
          resourceId: close.id,
          locationId: params.id,
          risk: 'medium',
          changes: { business_date: close.business_date, number: close.number, hash: close.hash, counted: close.totals.counted, variance: close.totals.variance },
        });
        return close;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/day-closes',
      summary: 'Day closes and their reversals, newest first',
      tags,
      access: 'tenant',
      permission: 'cash.day.read',
      query: s.dayCloseQuery,
      response: z.object({ items: z.array(s.dayClose), next_cursor: z.string().nullable() }),
      handler: ({ tx, tenant, principal, query }) => service.listDayCloses(tx, tenant, principal.scope('cash.day.read'), query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/day-closes/:id',
      summary: 'A day close (the Z report\'s content), with its hash checked',
      tags,
      access: 'tenant',
      permission: 'cash.day.read',
      resource: 'day_close',
      params: idParams,
      response: s.dayClose,
      handler: ({ tx, tenant, principal, params }) => service.getDayClose(tx, tenant, params.id, principal.scope('cash.day.read')),
    }),
    route({
      method: 'POST',
      url: '/api/v1/cash/day-closes/:id/reopen',
      summary: 'Reopen a closed day, with a reason: adds a reversing entry; the close itself is never edited',
      tags,
      access: 'tenant',
      permission: 'cash.day.close',
      resource: 'day_close',
      params: idParams,
      body: s.reopenDay,
      example: { reason: 'A pay out receipt turned up after the close' },
      status: 201,
      response: s.dayClose,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const reversal = await service.reopenDay(tx, tenant, principal, params.id, body.reason);
        await audit({
          action: 'cash.day.reopened',
          resourceType: 'cash_day_close',
          resourceId: params.id,
          locationId: reversal.location_id,
          risk: 'high',
          changes: { business_date: reversal.business_date, reversal_id: reversal.id, reversal_number: reversal.number, reason: body.reason },
        });
        return reversal;
      },
    }),

    // ------------------------------------------------------------ reports
    route({
      method: 'GET',
      url: '/api/v1/cash/reports/variance',
      summary: 'Variance over the last 7, 30 or 90 days by location, register or person; flagged days; largest shortfalls',
      tags,
      access: 'tenant',
      permission: 'cash.report.read',
      query: s.varianceQuery,
      response: s.varianceReport,
      handler: ({ tx, tenant, principal, query }) => service.varianceReport(tx, tenant, principal, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/cash/reports/reconciliations.csv',
      summary: 'Every count in a date range as CSV for the accountant (amounts in the currency\'s decimals)',
      tags,
      access: 'tenant',
      permission: 'cash.report.read',
      query: s.exportQuery,
      response: z.string(),
      handler: async ({ tx, tenant, principal, query, reply }) => {
        const { filename, csv } = await service.reconciliationsCsv(tx, tenant, principal, query);
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).serializer((v: unknown) => String(v));
        return csv;
      },
    }),
  ];
}
