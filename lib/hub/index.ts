/** Hugging Face Hub access (thin wrappers over @huggingface/hub mapping Hub JSON to alphaboard types). */
export { DEFAULT_HUB_URL, hubConfig, normalizeHubUrl, validateToken, type HubConfig } from './config';
export { HubConfigError, HubError, parseRetryAfter, toHubError, type HubErrorKind } from './errors';
export { createHubStats, withRetries, backoffDelay, type HubStats, type RetryInfo } from './retry';
export { InvalidRepoIdError, parseRepoId, type HubCallParams } from './hub-params';
export {
  discoverModels,
  listDiscoveryCandidates,
  type DiscoveryCandidate,
  type DiscoveryParams,
  type DiscoverySort,
} from './list-models';
export { dominantDtype, getModelInfo, type ModelInfo, type ModelInfoParams } from './model-info';
export { checkpointSeries, listRefs, type CheckpointRef, type ListRefsParams, type RepoRef } from './list-refs';
export { remoteSource, type RemoteSource, type RemoteSourceParams } from './remote-source';
export { findConversionPr, CONVERSION_BOT, CONVERSION_TITLE, type ConversionPr } from './conversion-pr';
export { listRepoFiles, type RepoFile } from './repo-files';
