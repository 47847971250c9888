/**
 * @phosphor/demo-services — demo gateway and quote services plus a traffic generator, traced with Phosphor.
 */
export { startDemo, type RunningDemo, type StartDemoExtras } from './demo.js';
export { type DemoConfig, loadDemoConfig, resolveDemoConfig } from './demo-config.js';
export { buildGatewayService, type GatewayService, type GatewayServiceOptions, MAX_BASKET_SYMBOLS } from './gateway-service.js';
export { buildQuoteService, type QuoteService, type QuoteServiceOptions } from './quote-service.js';
export { createQuoteClient, type QuoteClient, type QuoteMessage, QUOTE_PROTO_PATH } from './quote-proto.js';
export { TrafficGenerator, type TrafficOptions, type TrafficStats } from './traffic-generator.js';
export { DEMO_ERROR_CODES, DemoError, type DemoErrorCode } from './errors.js';
