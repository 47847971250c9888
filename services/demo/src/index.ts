/**
 * @phosphor/demo-services — demo gateway and quote services plus a traffic generator, traced with Phosphor.
 */
export { type RunningDemo, type StartDemoExtras, startDemo } from './demo.js';
export { type DemoConfig, loadDemoConfig, resolveDemoConfig } from './demo-config.js';
export { DEMO_ERROR_CODES, DemoError, type DemoErrorCode } from './errors.js';
export {
  buildGatewayService,
  type GatewayService,
  type GatewayServiceOptions,
  MAX_BASKET_SYMBOLS,
} from './gateway-service.js';
export { createQuoteClient, QUOTE_PROTO_PATH, type QuoteClient, type QuoteMessage } from './quote-proto.js';
export { buildQuoteService, type QuoteService, type QuoteServiceOptions } from './quote-service.js';
export { buildRatesService, type RatesService, type RatesServiceOptions } from './rates-service.js';
export { TrafficGenerator, type TrafficOptions, type TrafficStats } from './traffic-generator.js';
