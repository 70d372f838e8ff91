/**
 * A yes/no health probe whose answer is reused for a while (longer when up than when down, so that a recovery is
 * noticed quickly), and shared by concurrent callers: login starts and /readyz learn that the IdP is down without
 * each of them paying for a request to it.
 */
export class ReachabilityProbe {
  private last: { at: number; up: boolean } | undefined;
  private pending: Promise<boolean> | undefined;

  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly ttlMs: { up: number; down: number },
  ) {}

  check(): Promise<boolean> {
    const last = this.last;
    if (last && Date.now() - last.at < (last.up ? this.ttlMs.up : this.ttlMs.down)) return Promise.resolve(last.up);
    this.pending ??= this.probe()
      .catch(() => false)
      .then((up) => {
        this.record(up);
        return up;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** What another call to the same endpoint just showed (a successful discovery, say). */
  record(up: boolean): void {
    this.last = { at: Date.now(), up };
  }
}
