/** `@phosphor/tracer/grpc`: `@grpc/grpc-js` interceptors (an optional peer dependency of the tracer). */
export {
  type GrpcClientInterceptorOptions,
  grpcClientInterceptor,
  grpcServerInterceptor,
  type TraceGrpcHandlersOptions,
  traceGrpcHandlers,
} from './instrument/grpc.js';
