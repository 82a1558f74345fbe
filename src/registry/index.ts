// Public surface of the prompt registry.
export { Registry, protectedByDefault, type Actor, type LabelEvent, type PromptVersion } from './registry.js';
export { exportTask, importBundle, type RegistryBundle } from './bundle.js';
export { hardVersionContent, diffVersions } from './versions.js';
export type { RegistryLocation } from './open-registry.js';
export { registerTask, pushOptimized } from './register-task.js';
export { AccessKeys, scopes, type AccessKey, type Scope } from './access-keys.js';
export { RequestLog, type LoggedRequest } from './request-log.js';
