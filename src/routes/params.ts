// Path parameters of /api/v1/workspaces/<ws>/apps/<app>[/versions/<version>] (the
// workspace, app and version themselves are resolved by the access hook).

import { MAX_CHART_NAME_LENGTH, MAX_CHART_VERSION_LENGTH } from '../charts/metadata.js';

export const appParams = {
  type: 'object',
  required: ['ws', 'app'],
  properties: { ws: { type: 'string', maxLength: 63 }, app: { type: 'string', maxLength: MAX_CHART_NAME_LENGTH } },
} as const;

export const versionParams = {
  type: 'object',
  required: ['ws', 'app', 'version'],
  properties: {
    ws: { type: 'string', maxLength: 63 },
    app: { type: 'string', maxLength: MAX_CHART_NAME_LENGTH },
    version: { type: 'string', maxLength: MAX_CHART_VERSION_LENGTH },
  },
} as const;

export interface AppParams {
  ws: string;
  app: string;
}
export interface VersionParams extends AppParams {
  version: string;
}
