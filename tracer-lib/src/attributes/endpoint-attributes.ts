import type { AttributePolicy, AttributeSet } from './attribute-set.js';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
} from './semantic-conventions.js';

/**
 * Attribute sets per endpoint for the HTTP and gRPC instrumentation, each built once and looked up
 * by the strings the request already has (route, method, Host header, origin, method path). Every
 * cache is bounded: past its limit new keys get a set without the varying part (the host), so a
 * flood of distinct Host headers cannot grow memory.
 */

/** Distinct hosts remembered per endpoint: a service is reached under a handful of names. */
const MAX_HOSTS_PER_ENDPOINT = 16;
/** Distinct schemes remembered per endpoint: http and https, or what a trusted proxy forwards. */
const MAX_SCHEMES_PER_ENDPOINT = 4;
/** Distinct origins / gRPC methods remembered per instrumented client or server. */
const MAX_ENDPOINTS = 1024;

/** `host[:port]` (Host header or URL authority) split; `[v6]:port` keeps the brackets off the address. */
export function splitHostPort(host: string): { address: string; port: number | undefined } {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.lastIndexOf(':');
  if (colon > bracket && colon > 0) {
    const port = Number(host.slice(colon + 1));
    const address = host.slice(bracket >= 0 ? 1 : 0, bracket >= 0 ? bracket : colon);
    return { address, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined };
  }
  return { address: bracket >= 0 ? host.slice(1, bracket) : host, port: undefined };
}

/** The attribute sets of one HTTP server endpoint (route + method), per scheme and Host header. */
export class HttpServerEndpoint {
  readonly endpoint: string;
  private readonly policy: AttributePolicy;
  private readonly method: string;
  private readonly route: string | undefined;
  /**
   * Per scheme, per Host header. Keyed by both: one server may answer http and https with the same Host
   * header (default ports leave the port out).
   */
  private readonly bySchemeHost = new Map<string, Map<string, AttributeSet>>();
  private lastHost: string | undefined = undefined;
  private lastScheme = '';
  private lastSet: AttributeSet | undefined = undefined;
  /** Per scheme: the set without a host (no Host header, or past MAX_HOSTS_PER_ENDPOINT hosts). */
  private readonly hostless = new Map<string, AttributeSet>();
  /** Past MAX_SCHEMES_PER_ENDPOINT schemes (a trusted proxy's X-Forwarded-Proto): neither scheme nor host. */
  private unnamed: AttributeSet | undefined = undefined;

  /** `route` undefined for requests no route matched (no `http.route` then). */
  constructor(policy: AttributePolicy, endpoint: string, method: string, route: string | undefined) {
    this.policy = policy;
    this.endpoint = endpoint;
    this.method = method;
    this.route = route;
  }

  /** The set for a request with this Host header and scheme; undefined when no attribute is enabled. */
  attributes(host: string | undefined, scheme: string): AttributeSet | undefined {
    if (this.policy.none) return undefined;
    if (host === this.lastHost && scheme === this.lastScheme && this.lastSet !== undefined) return this.lastSet;
    let byHost = this.bySchemeHost.get(scheme);
    if (byHost === undefined) {
      if (this.bySchemeHost.size >= MAX_SCHEMES_PER_ENDPOINT) {
        this.unnamed ??= this.build(undefined, undefined, undefined);
        return this.unnamed;
      }
      byHost = new Map();
      this.bySchemeHost.set(scheme, byHost);
    }
    let set = host === undefined ? undefined : byHost.get(host);
    if (set === undefined) {
      if (host === undefined || byHost.size >= MAX_HOSTS_PER_ENDPOINT) {
        let hostless = this.hostless.get(scheme);
        if (hostless === undefined) {
          hostless = this.build(undefined, undefined, scheme);
          this.hostless.set(scheme, hostless);
        }
        return hostless;
      }
      const { address, port } = splitHostPort(host);
      set = this.build(address, port, scheme);
      byHost.set(host, set);
    }
    this.lastHost = host;
    this.lastScheme = scheme;
    this.lastSet = set;
    return set;
  }

  private build(address: string | undefined, port: number | undefined, scheme: string | undefined): AttributeSet {
    return this.policy.attributeSet(
      [
        [ATTR_HTTP_REQUEST_METHOD, this.method],
        [ATTR_HTTP_ROUTE, this.route],
        [ATTR_URL_SCHEME, scheme],
        [ATTR_SERVER_ADDRESS, address],
        [ATTR_SERVER_PORT, port],
      ],
      ATTR_HTTP_RESPONSE_STATUS_CODE,
    );
  }
}

/** Attribute sets of HTTP client calls, per (origin, method). */
export class HttpClientAttributes {
  private readonly policy: AttributePolicy;
  private readonly byOrigin = new Map<string, Map<string, AttributeSet>>();

  constructor(policy: AttributePolicy) {
    this.policy = policy;
  }

  /** The set for a call to `url` (absolute) with `method`; undefined when disabled or `url` is not absolute. */
  attributes(url: string, method: string): AttributeSet | undefined {
    if (this.policy.none) return undefined;
    const origin = originOf(url);
    if (origin === undefined) return undefined;
    let byMethod = this.byOrigin.get(origin);
    if (byMethod === undefined) {
      if (this.byOrigin.size >= MAX_ENDPOINTS) this.byOrigin.clear();
      byMethod = new Map();
      this.byOrigin.set(origin, byMethod);
    }
    let set = byMethod.get(method);
    if (set === undefined) {
      const schemeEnd = origin.indexOf('://');
      const scheme = origin.slice(0, schemeEnd).toLowerCase();
      const { address, port } = splitHostPort(origin.slice(schemeEnd + 3));
      set = this.policy.attributeSet(
        [
          [ATTR_HTTP_REQUEST_METHOD, method],
          [ATTR_URL_SCHEME, scheme],
          [ATTR_SERVER_ADDRESS, address],
          [ATTR_SERVER_PORT, port ?? (scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined)],
        ],
        ATTR_HTTP_RESPONSE_STATUS_CODE,
      );
      byMethod.set(method, set);
    }
    return set;
  }
}

/** `scheme://authority` of an absolute URL (without user info), by string scanning; undefined otherwise. */
export function originOf(url: string): string | undefined {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd <= 0) return undefined;
  let end = schemeEnd + 3;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // '/', '?', '#'
    end++;
  }
  const authority = url.slice(schemeEnd + 3, end);
  const at = authority.lastIndexOf('@');
  return at < 0 ? url.slice(0, end) : `${url.slice(0, schemeEnd + 3)}${authority.slice(at + 1)}`;
}

/** Attribute sets of gRPC calls, per method path (`/package.Service/Method`). */
export class GrpcAttributes {
  private readonly policy: AttributePolicy;
  private readonly address: string | undefined;
  private readonly port: number | undefined;
  private readonly byPath = new Map<string, AttributeSet>();

  /** `target` (`host:port`, optional): the server, for `server.address` / `server.port`. */
  constructor(policy: AttributePolicy, target?: string) {
    this.policy = policy;
    const split = target === undefined ? undefined : splitHostPort(target);
    this.address = split?.address;
    this.port = split?.port;
  }

  /** The set for `path`; undefined when no attribute is enabled. */
  attributes(path: string): AttributeSet | undefined {
    if (this.policy.none) return undefined;
    let set = this.byPath.get(path);
    if (set === undefined) {
      if (this.byPath.size >= MAX_ENDPOINTS) this.byPath.clear();
      // `/package.Service/Method`: anything else keeps the whole path as the method.
      const slash = path.lastIndexOf('/');
      const service = slash > 0 ? path.slice(path.startsWith('/') ? 1 : 0, slash) : undefined;
      const method = slash >= 0 ? path.slice(slash + 1) : path;
      set = this.policy.attributeSet(
        [
          [ATTR_RPC_SYSTEM, 'grpc'],
          [ATTR_RPC_SERVICE, service],
          [ATTR_RPC_METHOD, method],
          [ATTR_SERVER_ADDRESS, this.address],
          [ATTR_SERVER_PORT, this.port],
        ],
        ATTR_RPC_GRPC_STATUS_CODE,
      );
      this.byPath.set(path, set);
    }
    return set;
  }
}
