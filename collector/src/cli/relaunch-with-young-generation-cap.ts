/**
 * Imported first by the daemon's entry point, before the modules it loads, so that the re-execution that
 * caps the young generation (young-generation.ts) happens before any start-up work is done twice.
 */
import { capYoungGeneration } from './young-generation.js';

capYoungGeneration();
