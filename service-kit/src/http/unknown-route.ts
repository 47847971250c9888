/**
 * Route parameters longer than this do not match their route (fastify's own default is 100). Set well
 * above every parameter's schema limit, so an over-long parameter is a 400 naming its limit rather than
 * a 404 for a route that exists. Pass as `routerOptions: { maxParamLength: MAX_ROUTE_PARAM_LENGTH }`.
 */
export const MAX_ROUTE_PARAM_LENGTH = 2048;

/** An unknown path is echoed in error messages and logs up to this many characters. */
export const SHOWN_PATH_MAX_CHARS = 200;

/** `path` as an error message shows it: clipped to {@link SHOWN_PATH_MAX_CHARS}, marked with "…" when clipped. */
export function shownPath(path: string): string {
  return path.length > SHOWN_PATH_MAX_CHARS ? `${path.slice(0, SHOWN_PATH_MAX_CHARS)}…` : path;
}
