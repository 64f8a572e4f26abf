/**
 * Public API of the spectral core: WeightWatcher 0.7.5.5's default per-layer metrics (and its options) for 2-D
 * weight matrices, with no I/O. Everything here works on row-major float32/float64 data; eigenvalues are float64 and
 * ascending throughout.
 */
export { analyzeMatrix, type AnalyzeMatrixOptions, type AnalyzeMatrixResult } from './analyze-matrix';
export { asFloat, Bf16Matrix, type WeightMatrix } from './bf16-matrix';
export { layerSkipReason, layerName, DEFAULT_MIN_EVALS, DEFAULT_MAX_EVALS, DEFAULT_MAX_N, type TensorDescriptor } from './select';
export { summarize, pandasMean, median } from './summary';
export { eigenvalues, computeSpectrum, eigenBackend, type Spectrum, type EigenRoute } from './eigen';
export { fitPowerLaw, wwFit, wwFitCandidates, trainingWarning, EVALS_THRESH, type PowerLawFit, type WwFitResult } from './powerlaw';
export { esdColumns, shapeColumns, type EsdColumns } from './esd';
export { normColumns, type NormColumns } from './norms';
export { buildEsdData, thinEvals, powerLawLine, ESD_PLOT_LIMIT } from './esd-data';
export { SpectralError, type SpectralErrorCode } from './errors';
