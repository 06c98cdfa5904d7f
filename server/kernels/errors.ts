// Typed errors of the kernels layer. The REST layer maps them by class (and `status` where present).

/** A message from (or for) a kernel did not follow the Jupyter wire protocol. Never a half-decoded message. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** The connection to a kernel was closed (shutdown, restart, death) while a request was still pending. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

/**
 * The kernel finished handling a request (iopub idle) but never replied. ipykernel does this when
 * an interrupt lands in its own code around the handler rather than in user code.
 */
export class NoReplyError extends Error {
  override readonly name = 'NoReplyError';
}

/** A kernel process could not be started, or did not answer `kernel_info_request` in time. */
export class KernelStartError extends Error {
  override readonly name = 'KernelStartError';
}

/** No kernelspec of that name was found. */
export class KernelSpecNotFoundError extends Error {
  override readonly name = 'KernelSpecNotFoundError';
  readonly status = 404;
  constructor(readonly specName: string) {
    super(`no kernelspec named "${specName}"`);
  }
}

/** An operation named a kernel key that has no running kernel. */
export class NoSuchKernelError extends Error {
  override readonly name = 'NoSuchKernelError';
  readonly status = 404;
}

export type KernelLimitScope = 'user' | 'total';

/**
 * A kernel limit was reached. `status` is the HTTP status the REST layer should answer with:
 * 429 when this user has too many kernels (they can free one), 503 when the server is full.
 */
export class KernelLimitError extends Error {
  override readonly name = 'KernelLimitError';
  readonly status: 429 | 503;
  constructor(
    readonly scope: KernelLimitScope,
    readonly limit: number,
  ) {
    super(
      scope === 'user'
        ? `kernel limit reached: at most ${limit} kernels per user, counting shared kernels your runs started (--max-kernels-per-user); stop one of yours first`
        : `kernel limit reached: the server runs at most ${limit} kernels`,
    );
    this.status = scope === 'user' ? 429 : 503;
  }
}

/** The remote kernel engine (--kernel-gateway-url) did not answer: down, or the network is. */
export class KernelEngineUnreachableError extends Error {
  override readonly name = 'KernelEngineUnreachableError';
  readonly status = 503;
}
