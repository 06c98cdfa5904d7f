// How many kernels may be assigned at once: a total over the server, and a cap per user that
// counts every kernel charged to the user — their private kernels and the shared kernels their
// runs started (one user must not fill the server through shared kernels). Kernels still starting
// count as well; pool kernels do not (they are no one's until assigned).
import { KernelLimitError } from './errors.ts';

export interface KernelCaps {
  /** Kernels assigned to keys at once (pool kernels not counted). Default 64, as server/config.ts. */
  maxKernels?: number;
  /** Kernels charged to one user at once: private ones and shared ones they started. Default 4, as server/config.ts. */
  maxKernelsPerUser?: number;
}

/** A kernel the caps count (running or starting), and the user it is charged to, if any. */
export interface ChargedKernel {
  readonly chargedTo?: string | undefined;
}

/** The limit that one more kernel charged to `chargedTo` would pass; undefined when it may start. */
export function limitPassed(counted: readonly ChargedKernel[], chargedTo: string | undefined, caps: KernelCaps): KernelLimitError | undefined {
  const maxTotal = caps.maxKernels ?? 64;
  if (counted.length >= maxTotal) return new KernelLimitError('total', maxTotal);
  if (chargedTo === undefined) return undefined;
  const maxPerUser = caps.maxKernelsPerUser ?? 4;
  const mine = counted.filter((k) => k.chargedTo === chargedTo).length;
  return mine >= maxPerUser ? new KernelLimitError('user', maxPerUser) : undefined;
}
