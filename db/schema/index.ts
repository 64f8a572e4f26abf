export * from './models';
export * from './analyses';
export * from './layers';
export * from './benchmarks';
