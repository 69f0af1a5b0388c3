/**
 * The CLI outlives a Temporal outage. A crashed or restarting server makes every call fail with UNAVAILABLE
 * (after the SDK's own short gRPC retries); `ingest`, `watch`, `status` and `verify` then say so on stderr, wait
 * with backoff (1, 2, 4 ... 30 s), and go on where they were when the server answers again. The workflows
 * themselves live in the server's database: nothing is lost meanwhile. The wait is bounded (per outage) by
 * CXR_TEMPORAL_WAIT_S / --temporal-wait (default 300 s); past it the command ends with exit 69.
 */
import { CliError, EXIT } from './exit-codes';

/** gRPC status codes that mean "the server did not answer" (not "the server said no"). */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const UNREACHABLE_TEXT =
  /UNAVAILABLE|ECONNREFUSED|ECONNRESET|Failed to connect|No connection established|Connection dropped|transport|DEADLINE_EXCEEDED/i;

/** True when an error (or one of its causes) says the Temporal server could not be reached. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    if (typeof e !== 'object') break;
    const code = (e as { code?: unknown }).code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNREACHABLE_TEXT.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0].slice(0, 160);
}

export class TemporalWait {
  private downSince?: number;
  private attempt = 0;
  /** Outages survived so far (for tests and the final report). */
  outages = 0;

  constructor(
    private readonly address: string,
    private readonly boundMs: number,
    private readonly log: (line: string) => void = (l) => console.error(l),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Run `fn`; while Temporal is unreachable, say so, back off and try again, up to the bound. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const result = await fn();
        this.recovered();
        return result;
      } catch (err) {
        if (!isTemporalUnreachable(err)) throw err;
        const now = Date.now();
        if (this.downSince === undefined) {
          this.downSince = now;
          this.outages++;
        }
        const elapsed = now - this.downSince;
        const bound = Math.round(this.boundMs / 1000);
        if (elapsed >= this.boundMs)
          throw new CliError(
            `Temporal at ${this.address} has not answered for ${Math.round(elapsed / 1000)} s (${firstLine(err)}); giving up ` +
              `(bound ${bound} s: --temporal-wait / CXR_TEMPORAL_WAIT_S). Work already started goes on in the workers once ` +
              `Temporal is back: follow it with \`cxr watch\`.`,
            EXIT.unavailable,
          );
        const delay = Math.min(30_000, 1000 * 2 ** this.attempt++, this.boundMs - elapsed);
        this.log(
          `cxr: Temporal at ${this.address} is unreachable while ${what} (${firstLine(err)}); ` +
            `retrying in ${Math.ceil(delay / 1000)} s (unreachable for ${Math.round(elapsed / 1000)} s, giving up after ${bound} s)`,
        );
        await this.sleep(delay);
      }
    }
  }

  private recovered(): void {
    if (this.downSince !== undefined)
      this.log(
        `cxr: Temporal at ${this.address} answers again after ${Math.round((Date.now() - this.downSince) / 1000)} s; resuming`,
      );
    this.downSince = undefined;
    this.attempt = 0;
  }
}
