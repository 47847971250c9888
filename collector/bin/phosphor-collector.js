#!/usr/bin/env node
// Workspace bin: the collector ships TypeScript sources, so register tsx's loader and run main.ts.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
