import { idParams, page, pageQuery } from '../core/schemas.ts';
import { route } from '../core/http.ts';
import { business, createLocation, location, updateLocation } from './schemas.ts';
import * as service from './service.ts';
import { logoUrl } from '../platform/settings.ts';

const tags = ['locations'];

export const routes = [
  route({
    method: 'GET',
    url: '/api/v1/tenant',
    summary: 'The business at this address: name, branding, locale, currency (no sign-in; the sign-in page shows it)',
    tags: ['business'],
    access: 'public',
    response: business,
    handler: async ({ tenant }) => ({
      slug: tenant.slug,
      name: tenant.name,
      locale: tenant.locale,
      currency: tenant.currency,
      time_zone: tenant.time_zone,
      brand_color: tenant.brand_color,
      date_format: tenant.date_format,
      time_format: tenant.time_format,
      logo_url: logoUrl(tenant.logo_file_id),
    }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/locations',
    summary: 'List the locations the caller may see',
    tags,
    access: 'tenant',
    permission: 'org.location.read',
    query: pageQuery,
    response: page(location),
    handler: ({ tx, principal, query }) => service.listLocations(tx, principal.scope('org.location.read'), query),
  }),
  route({
    method: 'GET',
    url: '/api/v1/locations/:id',
    summary: 'One location',
    tags,
    access: 'tenant',
    permission: 'org.location.read',
    resource: 'location',
    params: idParams,
    response: location,
    handler: ({ tx, principal, params }) => service.getLocation(tx, params.id, principal.scope('org.location.read')),
  }),
  route({
    method: 'POST',
    url: '/api/v1/locations',
    summary: 'Open a new location',
    tags,
    access: 'tenant',
    consumes: 'locations',
    permission: 'org.location.create',
    body: createLocation,
    example: { name: 'Harbour Street', address: '12 Harbour Street, Leith', time_zone: 'Europe/London' },
    status: 201,
    response: location,
    handler: async ({ tx, body, audit }) => {
      const created = await service.createLocationRow(tx, body);
      await audit({ action: 'location.created', resourceType: 'location', resourceId: created.id, locationId: created.id, risk: 'medium', changes: body });
      return created;
    },
  }),
  route({
    method: 'PATCH',
    url: '/api/v1/locations/:id',
    summary: 'Change a location (name, address, time zone)',
    tags,
    access: 'tenant',
    permission: 'org.location.update',
    resource: 'location',
    params: idParams,
    body: updateLocation,
    example: { version: 1, name: 'Harbour Street (renamed)' },
    response: location,
    handler: async ({ tx, principal, params, body, audit }) => {
      const { after, changes } = await service.updateLocationRow(tx, params.id, principal.scope('org.location.update'), body);
      await audit({ action: 'location.updated', resourceType: 'location', resourceId: after.id, locationId: after.id, risk: 'medium', changes });
      return after;
    },
  }),
];
