// How apps, versions and categories look in the API.
import type { FastifyRequest } from 'fastify';
import type { AppRecord } from '../apps/apps.js';
import type { AppVersion } from '../versions/app-versions.js';
import type { Category } from '../store/categories.js';
import { allowedActions, type Actor } from '../lifecycle/state-machine.js';
import { isSafeLink, withSafeLinks } from '../apps/app-info.js';

export function appJson(a: AppRecord, workspace: string) {
  return {
    name: a.name,
    workspace,
    description: a.description,
    abstraction: a.abstraction,
    home: isSafeLink(a.home) ? a.home : '', // rows stored before uploads were held to the PATCH rules may not be
    icon: a.iconDigest ? `/api/v1/workspaces/${workspace}/apps/${a.name}/icon` : null,
    category: a.category,
    suspended: a.suspended,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function versionJson(v: AppVersion, appName: string, workspace: string, actors: ReadonlySet<Actor>) {
  const base = `/api/v1/workspaces/${workspace}/apps/${appName}/versions/${v.version}`;
  return {
    app: appName,
    version: v.version,
    appVersion: v.appVersion,
    state: v.state,
    allowedActions: allowedActions(v.state, actors),
    digest: v.digest,
    size: v.size,
    hasProvenance: v.provDigest !== null,
    updateLog: v.updateLog,
    uploadedBy: v.uploadedBy,
    metadata: withSafeLinks(v.metadata),
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    submittedAt: v.submittedAt?.toISOString() ?? null,
    reviewedAt: v.reviewedAt?.toISOString() ?? null,
    releasedAt: v.releasedAt?.toISOString() ?? null,
    links: { package: `${base}/package`, chart: `/workspaces/${workspace}/charts/${appName}-${v.version}.tgz` },
  };
}

export function categoryJson(c: Category) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    builtin: c.builtin,
    icon: c.hasIcon ? `/api/v1/categories/${c.id}/icon` : null,
    storeApps: c.storeApps,
  };
}

export function callerName(request: FastifyRequest): string {
  return request.principal?.username ?? 'anonymous';
}
