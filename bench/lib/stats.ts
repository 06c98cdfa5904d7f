// Summaries of latency samples: percentiles by nearest rank (no interpolation, so p99 is a real
// sample), plus the spread figures RESULTS.md reports beside them.

export interface Summary {
  n: number;
  min: number;
  p25: number;
  p50: number;
  p75: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p25: percentile(sorted, 25),
    p50: percentile(sorted, 50),
    p75: percentile(sorted, 75),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(digits);
}

/** `p50 / p99 (IQR a–b, max m)` in one cell. */
export function fmtSummary(s: Summary, unit = 'ms'): string {
  return `${fmt(s.p50)} / ${fmt(s.p99)} ${unit} (IQR ${fmt(s.p25)}–${fmt(s.p75)}, max ${fmt(s.max)}, n=${s.n})`;
}

/** How many times the reference the measured figure is (>1: Cohort is slower / bigger). */
export function ratio(measured: number, reference: number): string {
  if (!Number.isFinite(measured) || !Number.isFinite(reference) || reference === 0) return 'n/a';
  return `×${fmt(measured / reference)}`;
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
export const now = (): bigint => process.hrtime.bigint();
