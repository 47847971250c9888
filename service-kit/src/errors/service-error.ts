/** What every error code table entry says: at least the HTTP status the code answers with. */
export interface ErrorCodeDefinition {
  httpStatus: number;
}

/** The one JSON error body of every Phosphor HTTP API: `{ code, message, param? }`. */
export interface ErrorBody {
  /** `<PKG>_ERR_<AREA>_<WHAT>`, from the service's error table. */
  code: string;
  /** What was wrong, naming the field; without the code prefix. */
  message: string;
  /** The request parameter or field that was wrong, when there is one. */
  param?: string;
}

/** Builds an {@link ErrorBody}, leaving `param` out when there is none. */
export function errorBody(code: string, message: string, param?: string): ErrorBody {
  return param === undefined ? { code, message } : { code, message, param };
}

/**
 * The error-class template of every Phosphor daemon: a code from the service's table (which gives its HTTP
 * status), the detail naming what was wrong, and the field when there is one. The message is
 * `<code>: <detail>` so log lines explain themselves.
 */
export class ServiceError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly httpStatus: number;
  readonly detail: string;
  /** The config key, request parameter or field that was wrong, when there is one. */
  readonly field: string | undefined;

  constructor(code: Code, httpStatus: number, detail: string, options?: { field?: string; cause?: unknown }) {
    super(`${code}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
    this.detail = detail;
    this.field = options?.field;
  }

  /** The HTTP body for this error. */
  toBody(): ErrorBody {
    return errorBody(this.code, this.detail, this.field);
  }
}
