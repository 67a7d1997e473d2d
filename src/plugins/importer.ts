// Runs repository syncs (SPEC section 12): every replica looks for repositories due every
// CHARTROOM_IMPORT_POLL_SECONDS and takes each one's lease in the database before
// syncing it, so exactly one replica syncs a repository at a time. A lease is renewed
// while the sync runs; a replica that dies leaves a lease that runs out, and the next
// replica to look picks the repository up where the dead one stopped.
import fp from 'fastify-plugin';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../imports/secrets.js';
import type { ImportRepo } from '../imports/repos.js';
import { claimDue, finishSync, interruptSync, renewLease } from '../imports/schedule.js';
import { syncRepository } from '../imports/sync.js';

/** How long a lease lasts without renewal, and how often a running sync renews it. */
const LEASE_SECONDS = 60;
const RENEW_EVERY_MS = 15_000;
/** Syncs one replica runs at once. */
export const SYNCS_AT_ONCE = 2;

export class Importer {
  readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<number, { controller: AbortController; done: Promise<void> }>();
  private closing = false;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly start: (repo: ImportRepo, signal: AbortSignal) => Promise<void>,
    private readonly claim: (repoId?: number) => Promise<ImportRepo | null>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** True while this replica syncs the repository. */
  isRunning(repoId: number): boolean {
    return this.running.has(repoId);
  }

  /** Claims under way in syncNow: they count against SYNCS_AT_ONCE like running syncs. */
  private claiming = 0;

  /**
   * Starts the repository's sync here if no replica holds it and this one has room; false
   * when it does not start (the repository stays due, and the next tick with room, here
   * or on another replica, takes it). Each sync may hold a large index and a parse
   * worker, so asking for many at once must not run more than SYNCS_AT_ONCE.
   */
  async syncNow(repoId: number): Promise<boolean> {
    if (this.closing || this.running.has(repoId)) return this.running.has(repoId);
    if (this.running.size + this.claiming >= SYNCS_AT_ONCE) return false;
    const repo = await this.counted(repoId);
    if (!repo) return false;
    this.launch(repo);
    return true;
  }

  /** Takes due repositories while this replica has room. */
  tick(): Promise<void> {
    // Cleared in a .finally, which always runs after this assignment: cleared inside the
    // async function, it ran first whenever there was no room (nothing awaited), and the
    // settled promise then stayed here for good: no later tick took anything, and idle()
    // looped on it for ever.
    this.ticking ??= this.takeDue().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async takeDue(): Promise<void> {
    try {
      while (!this.closing && this.running.size + this.claiming < SYNCS_AT_ONCE) {
        const repo = await this.counted();
        if (!repo) break;
        this.launch(repo);
      }
    } catch (err) {
      this.onError(err);
    }
  }

  private async counted(repoId?: number): Promise<ImportRepo | null> {
    this.claiming++;
    try {
      return await this.claim(repoId);
    } finally {
      this.claiming--;
    }
  }

  private launch(repo: ImportRepo): void {
    const controller = new AbortController();
    const done = this.start(repo, controller.signal)
      .catch(this.onError)
      .finally(() => {
        this.running.delete(repo.id);
        if (!this.closing) void this.tick();
      });
    this.running.set(repo.id, { controller, done });
  }

  /** Waits for the syncs in progress (tests, and a graceful stop after abort). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.ticking) {
      await Promise.all([...this.running.values()].map((r) => r.done));
      await this.ticking;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const r of this.running.values()) r.controller.abort(new Error('the server is shutting down'));
    await this.idle();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    importer: Importer;
    secretBox: SecretBox | null;
  }
}

export default fp(
  async (app) => {
    const { config, db } = app;
    const box = config.secretKey ? new SecretBox(config.secretKey) : null;
    const importer: Importer = new Importer(
      async (repo, stop) => {
        // The sync ends at its deadline, at shutdown, or when the lease is lost.
        const signal = AbortSignal.any([stop, AbortSignal.timeout(config.imports.syncTimeoutMs)]);
        const lease = new AbortController();
        const renew = setInterval(() => {
          renewLease(db, repo.id, importer.owner, LEASE_SECONDS)
            .then((held) => {
              if (!held) lease.abort(new Error('another replica took the repository over'));
            })
            .catch(() => undefined); // a passing database error: the next renewal tries again
        }, RENEW_EVERY_MS);
        renew.unref();
        const started = Date.now();
        try {
          const log = app.log.child({ repository: repo.name, workspaceId: repo.workspaceId });
          const outcome = await syncRepository(
            { db, blobs: app.blobs, config, box, log },
            repo,
            AbortSignal.any([signal, lease.signal]),
          );
          if (stop.aborted) {
            await interruptSync(db, repo, importer.owner);
          } else {
            await finishSync(db, repo, importer.owner, outcome);
          }
          app.chartroomMetrics.syncFinished(
            stop.aborted ? 'interrupted' : outcome.ok ? 'successful' : 'failed',
            (Date.now() - started) / 1000,
          );
          if (outcome.ok) log.info('repository sync finished');
          else log.warn({ error: outcome.error }, 'repository sync failed');
        } finally {
          clearInterval(renew);
        }
      },
      (repoId) => claimDue(db, importer.owner, LEASE_SECONDS, repoId),
      (err) => app.log.error({ err }, 'repository sync scheduling failed'),
    );
    app.decorate('importer', importer);
    app.decorate('secretBox', box);
    let timer: NodeJS.Timeout | null = null;
    app.addHook('onReady', async () => {
      timer = setInterval(() => void importer.tick(), config.imports.pollMs);
      timer.unref();
      void importer.tick();
    });
    app.addHook('preClose', async () => {
      if (timer) clearInterval(timer);
      await importer.close();
    });
  },
  { name: 'chartroom-importer', dependencies: ['chartroom-storage'] },
);
