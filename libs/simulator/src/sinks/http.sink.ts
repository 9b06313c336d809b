import { NowcastEvent } from '@app/contracts';
import { EventSink } from './event-sink';

export interface HttpSinkOptions {
  /** Base URL of the event-enricher ingress, e.g. http://127.0.0.1:3001 (POST <baseUrl>/v1/events). */
  baseUrl: string;
  /** Sent as X-API-Key (a key with the ingest scope); omit for an open development ingress. */
  apiKey?: string;
  /** Events per request, at most the ingress cap of 1,000. Default 500. */
  maxBatch?: number;
  /** Retries of a request answered 429/503 or failing at the network level. Default 10. */
  maxRetries?: number;
  /** First retry delay when the server gives no Retry-After, ms; doubles per retry. Default 100. */
  retryDelayMs?: number;
}

/** The ingress refused a request for a reason retrying cannot fix (400/401/403/413). */
export class HttpSinkRejectedError extends Error {
  override readonly name = 'HttpSinkRejectedError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`ingress answered ${status}: ${body.slice(0, 500)}`);
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * Posts events to the ingress (`POST /v1/events`) in batches; `write` resolves once every batch was
 * answered 202 (i.e. acknowledged by the broker). 429 and 503 are retried after Retry-After (or a
 * doubling delay), so a rate-limited simulator slows down instead of dropping events.
 */
export class HttpSink implements EventSink {
  private readonly url: string;
  private readonly maxBatch: number;

  constructor(private readonly options: HttpSinkOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/v1/events`;
    this.maxBatch = Math.min(1_000, Math.max(1, options.maxBatch ?? 500));
  }

  async write(events: readonly NowcastEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += this.maxBatch) {
      await this.post(JSON.stringify(events.slice(start, start + this.maxBatch)));
    }
  }

  async close(): Promise<void> {}

  private async post(body: string): Promise<void> {
    const maxRetries = this.options.maxRetries ?? 10;
    let delayMs = this.options.retryDelayMs ?? 100;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let text = '';
      let retryAfterSec = NaN;
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.apiKey ? { 'x-api-key': this.options.apiKey } : {}),
          },
          body,
        });
        status = response.status;
        text = await response.text();
        retryAfterSec = Number(response.headers.get('retry-after'));
      } catch (error) {
        if (attempt >= maxRetries) throw error;
        status = 0; // network error: retry
      }
      if (status === 202) return;
      if (status !== 0 && !RETRYABLE.has(status)) throw new HttpSinkRejectedError(status, text);
      if (attempt >= maxRetries) throw new HttpSinkRejectedError(status, text);
      const waitMs = Number.isFinite(retryAfterSec) && retryAfterSec > 0 ? retryAfterSec * 1000 : delayMs;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  }
}
