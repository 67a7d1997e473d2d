// Who is signed in: GET /api/v1/me, refreshed on sign-in and sign-out. A 401 from any
// call (session ended on the server: signed out elsewhere, user disabled) drops it.
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, ApiError, whenSignedOut, type Me, type Permission, type WorkspaceRole } from './api.ts';

export interface Session {
  /** null: anonymous; undefined: still asking. */
  me: Me | null | undefined;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
  can(permission: Permission): boolean;
  /** The caller's role in a workspace, if a member. */
  roleIn(ws: string): WorkspaceRole | undefined;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      setMe(await api<Me>('/api/v1/me'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setMe(null);
      else throw err;
    }
  }, []);
  useEffect(() => {
    void refresh().catch(() => setMe(null));
    return whenSignedOut(() => setMe(null));
  }, [refresh]);
  const session: Session = {
    me,
    refresh,
    async signIn(username, password) {
      await api('/api/v1/session', { method: 'POST', json: { username, password } });
      await refresh();
    },
    async signOut() {
      await api('/api/v1/session', { method: 'DELETE' }).catch(() => undefined);
      setMe(null);
    },
    can: (permission) => !!me?.permissions.includes(permission),
    roleIn: (ws) => me?.workspaces.find((w) => w.name === ws)?.role,
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
