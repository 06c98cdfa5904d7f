// Every metric Cohort exports at `GET /metrics` (Prometheus text format, prom-client), defined in
// one place. Each server has its own registry (tests run several servers in one process). Parts of
// the server get this object and make one small call where the thing happens; gauges that mirror
// state (connections, rooms, kernels) read it when scraped rather than being kept in step.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Scope } from '../shared/schema.ts';

/** Limits whose hits are counted (`cohort_quota_hits_total{quota}`). */
export type Quota = 'kernels_total' | 'kernels_per_user' | 'join_rate' | 'message_size';
const QUOTAS: readonly Quota[] = ['kernels_total', 'kernels_per_user', 'join_rate', 'message_size'];

export type JoinResult = 'joined' | 'refused' | 'rate_limited';
const JOIN_RESULTS: readonly JoinResult[] = ['joined', 'refused', 'rate_limited'];

/** What the state gauges read at scrape time. */
export interface MetricSources {
  connectedClients(): number;
  loadedRooms(): number;
  /** One entry per kernel: its state and who runs it (`local` processes for now). */
  kernels(): Array<{ state: string; provider: string }>;
}

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;

  /** From a run's acceptance (queued) to its reply: what the person waiting sees. */
  readonly executionSeconds = new Histogram<'scope' | 'status'>({
    name: 'cohort_execution_seconds',
    help: 'Cell runs from queued to finished, seconds',
    labelNames: ['scope', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  /** One LevelDB batch of document updates (every update waits for one before it is broadcast). */
  readonly storeWriteSeconds = new Histogram({
    name: 'cohort_store_write_seconds',
    help: 'Document update batches written to LevelDB, seconds',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly refusedWrites = new Counter({
    name: 'cohort_refused_writes_total',
    help: 'Document updates refused because the connection may only read',
    registers: [this.registry],
  });

  readonly quotaHits = new Counter<'quota'>({
    name: 'cohort_quota_hits_total',
    help: 'Requests refused by a limit',
    labelNames: ['quota'],
    registers: [this.registry],
  });

  readonly joins = new Counter<'result'>({
    name: 'cohort_joins_total',
    help: 'Live-session join attempts by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor() {
    // Zero series exist from the start, so a rate() over them is defined before the first event.
    for (const quota of QUOTAS) this.quotaHits.inc({ quota }, 0);
    for (const result of JOIN_RESULTS) this.joins.inc({ result }, 0);
    const sources = () => this.sources;
    new Gauge({
      name: 'cohort_connected_clients',
      help: 'Open sync WebSocket connections',
      registers: [this.registry],
      collect() {
        this.set(sources()?.connectedClients() ?? 0);
      },
    });
    new Gauge({
      name: 'cohort_loaded_rooms',
      help: 'Documents loaded in memory',
      registers: [this.registry],
      collect() {
        this.set(sources()?.loadedRooms() ?? 0);
      },
    });
    new Gauge<'state' | 'provider'>({
      name: 'cohort_kernels',
      help: 'Kernels by state and provider',
      labelNames: ['state', 'provider'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { state, provider } of sources()?.kernels() ?? []) this.inc({ state, provider });
      },
    });
    // Event-loop delay (nodejs_eventloop_lag_*), CPU, memory, handles: prom-client's own set.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the state gauges to the running server's parts. */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  runFinished(run: { scope: Scope; status: string; queuedAt: number; finishedAt: number }): void {
    this.executionSeconds.observe({ scope: run.scope, status: run.status }, Math.max(0, run.finishedAt - run.queuedAt) / 1000);
  }

  quotaHit(quota: Quota): void {
    this.quotaHits.inc({ quota });
  }

  joined(result: JoinResult): void {
    this.joins.inc({ result });
  }
}
