// Every optimizer passes the shared conformance suite.
import { bootstrapOptimizer } from './bootstrap.js';
import { optimizerConformance } from './optimizers.case.js';

optimizerConformance('bootstrap', () => bootstrapOptimizer());
