// Path parameters of /api/v1/workspaces/<ws>/apps/<app>[/versions/<version>] (the
// workspace, app and version themselves are resolved by the access hook).

export const appParams = {
  type: 'object', required: ['ws', 'app'],
  properties: { ws: { type: 'string', maxLength: 63 }, app: { type: 'string', maxLength: 250 } },
} as const;

export const versionParams = {
  type: 'object', required: ['ws', 'app', 'version'],
  properties: { ws: { type: 'string', maxLength: 63 }, app: { type: 'string', maxLength: 250 }, version: { type: 'string', maxLength: 128 } },
} as const;

export interface AppParams { ws: string; app: string }
export interface VersionParams extends AppParams { version: string }
