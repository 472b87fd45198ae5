import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REBOOT_ORDER, STATUS_ORDER, type SummaryHost, summarize } from '../fleet/index.js';

/** The route label of a request no route matched: the path itself never becomes a label. */
export const UNMATCHED = 'unmatched';

/**
 * The server's Prometheus metrics, in a registry of its own (so two servers in one process keep
 * theirs apart). Labels are the route's template (`/v1/hosts/{id}/report`), the method and the
 * status: never a host id, a token or a query string, so the number of series stays bounded.
 */
export class FleetMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly reports: Counter<'result'>;
  private readonly refreshes: Counter<'result'>;
  private readonly rateLimited: Counter<'limit'>;

  /** `hosts` reads the hosts the summary counts, at each scrape (the gauges are the summary's). */
  constructor(hosts: () => Promise<ReadonlyArray<SummaryHost>>, now: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'klpm_' });
    this.requests = new Counter({
      name: 'klpm_http_requests_total',
      help: 'HTTP requests answered, per route template, method and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'klpm_http_request_duration_seconds',
      help: 'time from a request to its answer, per route template, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.reports = new Counter({
      name: 'klpm_reports_ingested_total',
      help: 'host reports taken: stored (the newest of its host), stale (a resent or older seq) or conflict (a clone)',
      labelNames: ['result'],
      registers,
    });
    this.refreshes = new Counter({
      name: 'klpm_repository_refreshes_total',
      help: 'repository reads followed by a re-evaluation of every host: ok, or failed (it did not read)',
      labelNames: ['result'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'klpm_rate_limited_total',
      help: 'requests answered 429, per limit (enroll, report)',
      labelNames: ['limit'],
      registers,
    });
    // The host gauges are the summary's numbers, read from the store once per scrape.
    let scrape: Promise<ReturnType<typeof summarize>> | undefined;
    const summary = () => {
      scrape ??= hosts()
        .then((h) => summarize([...h], now()))
        .finally(() => {
          scrape = undefined;
        });
      return scrape;
    };
    new Gauge({
      name: 'klpm_hosts',
      help: 'hosts that have reported, per status (the worst of their replace sets)',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await summary();
        for (const status of STATUS_ORDER) this.set({ status }, s.status[status]);
      },
    });
    new Gauge({
      name: 'klpm_hosts_reboot',
      help: 'hosts that have reported, per reboot need',
      labelNames: ['reboot'],
      registers,
      async collect() {
        const s = await summary();
        for (const reboot of REBOOT_ORDER) this.set({ reboot }, s.reboot[reboot]);
      },
    });
    new Gauge({
      name: 'klpm_hosts_silent',
      help: 'hosts with no report for twice their check-in interval',
      registers,
      async collect() {
        this.set((await summary()).silent);
      },
    });
    new Gauge({
      name: 'klpm_builds',
      help: 'kernel builds (build IDs) the reported hosts run',
      registers,
      async collect() {
        this.set((await summary()).builds.length);
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: KNOWN_METHODS.has(method) ? method : 'other', route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  report(result: 'stored' | 'stale' | 'conflict'): void {
    this.reports.inc({ result });
  }

  refresh(result: 'ok' | 'failed'): void {
    this.refreshes.inc({ result });
  }

  limited(limit: 'enroll' | 'report'): void {
    this.rateLimited.inc({ limit });
  }

  /** the text exposition format, and its content type */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** methods kept as a label; anything else a client sends is `other` (a label a client cannot grow) */
const KNOWN_METHODS = new Set(['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS']);
