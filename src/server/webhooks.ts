import { createHash, createHmac } from 'node:crypto';
import type { FleetStore } from '../store/index.js';

/** Where webhooks go and how they are signed and retried (`klpm serve --webhook`, docs/fleet.md). */
export interface WebhookOptions {
  readonly urls: ReadonlyArray<string>;
  /** the HMAC-SHA256 key: the bytes of `--webhook-secret FILE` */
  readonly secret: Buffer;
  /** the first retry's wait (ms), doubled on each failure up to `maxRetryMs`; default 1 s */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** one try's limit (ms); default 10 s */
  readonly timeoutMs?: number;
  /**
   * the clock of the retries (ms): the wall clock by default, apart from the server's clock, which
   * tests stop (a retry schedule on a stopped clock would never come due)
   */
  readonly clock?: () => number;
}

/** `X-Klpm-Signature`: `sha256=` and the hex HMAC-SHA256 of the body under the secret. */
export function signature(secret: Buffer, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A stable event id from what identifies the event, so every server names one event alike. */
export function eventId(...parts: ReadonlyArray<string>): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/**
 * Webhook deliveries: an event is queued once per URL in the store (its id is the key, so a second
 * server or a second step queuing it again changes nothing), and `pump` posts the due ones,
 * marking each delivered on a 2xx and otherwise due again after an exponential back-off.
 */
export class Webhooks {
  private pumping = false;

  constructor(
    private readonly store: FleetStore,
    private readonly options: WebhookOptions | undefined,
  ) {}

  get enabled(): boolean {
    return this.options !== undefined && this.options.urls.length > 0;
  }

  async notify(id: string, kind: string, payload: Record<string, unknown>, now: number): Promise<void> {
    if (this.options === undefined) return;
    const body = JSON.stringify({ id, kind, at: new Date(now).toISOString(), ...payload });
    const due = (this.options.clock ?? Date.now)();
    for (const url of this.options.urls)
      await this.store.addDelivery({ eventId: id, url, kind, body, now: due });
  }

  async pump(): Promise<void> {
    if (this.options === undefined || this.pumping) return;
    const now = this.options.clock ?? Date.now;
    this.pumping = true;
    const { secret } = this.options;
    const base = this.options.retryMs ?? 1000;
    const max = this.options.maxRetryMs ?? 3_600_000;
    try {
      for (const d of await this.store.dueDeliveries(now(), 100)) {
        let error: string | undefined;
        try {
          const answer = await fetch(d.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-klpm-signature': signature(secret, d.body),
              'x-klpm-event': d.kind,
            },
            body: d.body,
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
          });
          await answer.arrayBuffer().catch(() => undefined);
          if (answer.status < 200 || answer.status > 299) error = `answered ${answer.status}`;
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
        if (error === undefined)
          await this.store.markDelivery(d.eventId, d.url, { delivered: true, at: now() });
        else
          await this.store.markDelivery(d.eventId, d.url, {
            delivered: false,
            nextAt: now() + Math.min(max, base * 2 ** d.attempts),
            error,
          });
      }
    } finally {
      this.pumping = false;
    }
  }
}
