// How many new participants a live session accepts per minute (--joins-per-session-per-minute).
// The session checks and then records a join under its one-at-a-time rule, so concurrent joins
// cannot overshoot, and a join that fails (a bad name) does not use up the quota.
import { HttpError } from '../errors.ts';

export class JoinQuota {
  /** notebookId → times of the last minute's joins that added a participant. */
  private readonly recentJoins = new Map<string, number[]>();

  /** `perMinute`: new participants one session accepts per minute; 0 = no limit. */
  constructor(private readonly perMinute: number) {}

  /** Refuses (429) a join that would add a participant past the quota. */
  check(notebookId: string): void {
    const max = this.perMinute;
    if (max === 0) return;
    const now = Date.now();
    const recent = (this.recentJoins.get(notebookId) ?? []).filter((t) => now - t < 60_000);
    this.recentJoins.set(notebookId, recent);
    if (recent.length >= max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      throw new HttpError(
        429,
        'session_join_limit',
        `this live session accepts at most ${max} new participants per minute (--joins-per-session-per-minute); try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
  }

  /** A join added a participant. */
  record(notebookId: string): void {
    if (!this.perMinute) return;
    const recent = this.recentJoins.get(notebookId) ?? [];
    recent.push(Date.now());
    this.recentJoins.set(notebookId, recent);
  }

  /** The session ended: its joins no longer count. */
  forget(notebookId: string): void {
    this.recentJoins.delete(notebookId);
  }
}
