// promptune's public entry point. Each layer's index names its exports; this re-exports them.
export * from './errors/index.js';
export * from './engine/index.js';
