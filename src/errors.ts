/**
 * One error type for the whole connector. Every failure carries a stable string `code`
 * (like csv-parse's CSV_* or undici's UND_ERR_*), a failure kind that maps onto Airbyte's
 * `failure_type`, whether retrying the same call may help, and context (stream, window,
 * export id, HTTP status, file, line...). Messages say what went wrong AND what to do.
 * No message or context value may hold a secret: callers pass them through `Redactor`.
 */
export type FailureType = 'config_error' | 'transient_error' | 'system_error';

export interface ErrorContext {
  stream?: string;
  exportId?: string | number;
  window?: { start: string; end: string };
  httpStatus?: number;
  pardotCode?: number;
  file?: string;
  line?: number;
  column?: string;
  field?: string;
  url?: string;
  /** epoch ms after which a retry may succeed (Retry-After, daily budget reset). */
  retryAt?: number;
  [key: string]: unknown;
}

export class ConnectorError extends Error {
  readonly code: string;
  readonly failureType: FailureType;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(
    code: string,
    message: string,
    opts: { failureType?: FailureType; retriable?: boolean; context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.failureType = opts.failureType ?? 'system_error';
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }

  /** A copy with more context (keeps code, kind and message). */
  with(context: ErrorContext): ConnectorError {
    return new ConnectorError(this.code, this.message, {
      failureType: this.failureType,
      retriable: this.retriable,
      context: { ...this.context, ...context },
      cause: this.cause,
    });
  }
}

export function configError(code: string, message: string, context?: ErrorContext): ConnectorError {
  return new ConnectorError(code, message, { failureType: 'config_error', context });
}

export function isConnectorError(e: unknown): e is ConnectorError {
  return e instanceof ConnectorError;
}

/** Wraps anything thrown into a ConnectorError, keeping ConnectorErrors as they are. */
export function toConnectorError(e: unknown): ConnectorError {
  if (e instanceof ConnectorError) return e;
  if (e instanceof Error && e.name === 'AbortError') {
    return new ConnectorError('ABORTED', 'The run was stopped before it finished.', { failureType: 'transient_error', cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ConnectorError('INTERNAL', `Unexpected internal error: ${message}`, { failureType: 'system_error', cause: e });
}
