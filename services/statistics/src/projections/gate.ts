/**
 * Lets the in-process rebuild stop this process' live consumer between messages: while the
 * gate is closed, new consumer transactions wait; `close()` resolves once the transactions
 * already running have finished.
 */
export class ConsumerGate {
  private inFlight = 0;
  private closedUntil: Promise<void> | null = null;
  private reopen: (() => void) | null = null;
  private drained: (() => void) | null = null;

  /** Runs `fn` as one consumer transaction (waits while the gate is closed). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closedUntil) await this.closedUntil;
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Closes the gate and waits until no consumer transaction runs. */
  async close(): Promise<void> {
    if (!this.closedUntil) this.closedUntil = new Promise<void>((r) => (this.reopen = r));
    if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
    this.drained = null;
  }

  /** Opens the gate again. */
  open(): void {
    const r = this.reopen;
    this.closedUntil = null;
    this.reopen = null;
    r?.();
  }

  get closed(): boolean {
    return this.closedUntil !== null;
  }
}
