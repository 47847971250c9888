/**
 * Fetch plumbing shared by the API client (on the page) and the trace loader (in a Web Worker):
 * the same network, status and body errors wherever a request runs.
 */
import { DashboardError } from '../errors.js';

/** How often, at most, a body download reports progress; more often only costs messages. */
const PROGRESS_INTERVAL_MILLIS = 50;

/** Sends a GET; network failures become DSH_ERR_API_NETWORK, an abort stays an AbortError. */
export async function sendGet(
  fetchImpl: typeof fetch,
  url: string,
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<Response> {
  try {
    return await fetchImpl(url, { signal, headers });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new DashboardError('DSH_ERR_API_NETWORK', `GET ${path}: ${(err as Error).message}`);
  }
}

/** DSH_ERR_API_HTTP for a non-2xx answer, with the collector's own code and message when it sent them. */
export async function httpError(path: string, response: Response): Promise<DashboardError> {
  let detail = '';
  try {
    const body = (await response.json()) as { message?: unknown; error?: unknown; code?: unknown };
    const message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
    detail = [typeof body.code === 'string' ? body.code : '', message].filter(Boolean).join(' ');
  } catch {
    // A non-JSON error body: the status alone says enough.
  }
  return new DashboardError(
    'DSH_ERR_API_HTTP',
    `GET ${path} → HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
    response.status,
  );
}

/** Parses a JSON body; a bad one is DSH_ERR_API_SHAPE naming the request. */
export function parseJsonText(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DashboardError('DSH_ERR_API_SHAPE', `GET ${path}: body is not JSON (${(err as Error).message})`);
  }
}

/** Bytes of a response body received so far; `totalBytes` from Content-Length when the server sent it. */
export interface DownloadProgress {
  loadedBytes: number;
  totalBytes: number | undefined;
}

/**
 * Reads a body as text, reporting progress as chunks arrive (at most every
 * PROGRESS_INTERVAL_MILLIS, and once at the end).
 */
export async function readBodyText(
  response: Response,
  onProgress: ((progress: DownloadProgress) => void) | undefined,
): Promise<string> {
  const header = Number(response.headers.get('content-length'));
  const totalBytes = Number.isFinite(header) && header > 0 ? header : undefined;
  if (!response.body || !onProgress) return response.text();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let loadedBytes = 0;
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loadedBytes += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
    const now = Date.now();
    if (now - lastReport >= PROGRESS_INTERVAL_MILLIS) {
      lastReport = now;
      onProgress({ loadedBytes, totalBytes });
    }
  }
  parts.push(decoder.decode());
  onProgress({ loadedBytes, totalBytes });
  return parts.join('');
}
