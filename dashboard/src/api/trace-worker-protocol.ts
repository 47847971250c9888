/**
 * Messages between the page and the trace-load worker. The page sends one `load`, then `span` /
 * `text` requests (each with an id its reply repeats); the worker answers `progress`* then one of
 * `loaded` / `not-found` / `failed`, and a `span` / `text` / `reply-failed` per request.
 */
import { DashboardError, type DashboardErrorCode, DashboardErrorCodes } from '../errors.js';
import type { TraceText } from '../model/text-view.js';
import type { TimeMode, TraceTree } from '../model/trace-tree.js';
import type { TraceRequest } from './client.js';
import type { LoadProgress } from './trace-source-contract.js';
import type { Span } from './types.js';

/** Page → worker. */
export type ToWorker =
  | { type: 'load'; request: TraceRequest }
  | { type: 'span'; id: number; row: number }
  | { type: 'text'; id: number; traceId: string; mode: TimeMode; maxLines: number };

/** An error as it crosses the thread boundary (class instances arrive as plain Errors). */
export interface SerializedError {
  name: string;
  code?: DashboardErrorCode | undefined;
  detail: string;
  status?: number | undefined;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'loaded'; tree: TraceTree }
  | { type: 'not-found' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'span'; id: number; span: Span }
  | { type: 'text'; id: number; text: TraceText }
  | { type: 'reply-failed'; id: number; error: SerializedError };

/** Flattens an error for postMessage, keeping a DashboardError's code, detail and status. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof DashboardError) return { name: err.name, code: err.code, detail: err.detail, status: err.status };
  if (err instanceof Error) return { name: err.name, detail: err.message };
  return { name: 'Error', detail: String(err) };
}

/** Rebuilds an error sent by {@link serializeError}; unknown codes become DSH_ERR_TRACE_WORKER. */
export function deserializeError(error: SerializedError): Error {
  if (error.code && error.code in DashboardErrorCodes)
    return new DashboardError(error.code, error.detail, error.status);
  const out = new DashboardError('DSH_ERR_TRACE_WORKER', `${error.name}: ${error.detail}`);
  return out;
}
