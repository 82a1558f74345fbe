// Public error classes. Every error promptune throws on purpose is a PromptuneError with a code and hint.
export { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';
export { ShapeError } from './shape-error.js';
export { WeightLoadError } from './weight-load-error.js';
export { TokenizerError } from './tokenizer-error.js';
export { ValidationError } from './validation-error.js';
export { NotFoundError } from './not-found-error.js';
export { DownloadError } from './download-error.js';
export { DatasetError } from './dataset-error.js';
export { AuthError } from './auth-error.js';
