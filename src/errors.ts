// The error registry: every error the server answers with has a stable code, an HTTP
// status and a title, in this one table. Domain modules throw AppError with a code
// and a detail; only the HTTP layer turns the code into a status and a body.

export const errorRegistry = {
  'bad-request': { status: 400, title: 'Bad request' },
  'validation-failed': { status: 400, title: 'Request validation failed' },
  'chart-invalid': { status: 400, title: 'Invalid chart package' },
  'prov-invalid': { status: 400, title: 'Invalid provenance file' },
  'icon-invalid': { status: 400, title: 'Invalid icon' },
  'upload-too-large': { status: 413, title: 'Upload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'version-exists': { status: 409, title: 'Version already exists' },
  'prov-exists': { status: 409, title: 'Provenance file already stored' },
  'version-imported': { status: 409, title: 'Version imported from a repository' },
  'repo-exists': { status: 409, title: 'Repository already exists' },
  'invalid-transition': { status: 409, title: 'Action not allowed in the current state' },
  'category-required': { status: 409, title: 'Choose a category first' },
  'store-name-taken': { status: 409, title: 'Chart name released by another workspace' },
  'app-not-empty': { status: 409, title: 'App still has versions' },
  'category-exists': { status: 409, title: 'Category already exists' },
  'category-in-use': { status: 409, title: 'Category still holds apps' },
  'category-builtin': { status: 409, title: 'Built-in category' },
  'workspace-exists': { status: 409, title: 'Workspace already exists' },
  'workspace-not-empty': { status: 409, title: 'Workspace is not empty' },
  'user-exists': { status: 409, title: 'User already exists' },
  'role-exists': { status: 409, title: 'Role already exists' },
  'role-in-use': { status: 409, title: 'Role is in use' },
  'role-builtin': { status: 409, title: 'Built-in role' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** Extra members for the problem body (e.g. current state, allowed actions). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  get status(): number {
    return errorRegistry[this.code].status;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

export function toProblem(err: AppError, instance?: string): Problem {
  const entry = errorRegistry[err.code];
  return {
    type: `https://chartroom.dev/problems/${err.code}`,
    title: entry.title,
    status: entry.status,
    detail: err.detail,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...err.extra,
  };
}
