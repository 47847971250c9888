/**
 * Imported first by the daemon's entry point, before the modules it loads, so that the re-execution that
 * applies the daemon's memory caps (memory-caps.ts) happens before any start-up work is done twice.
 */
import { applyMemoryCaps } from './memory-caps.js';

applyMemoryCaps();
