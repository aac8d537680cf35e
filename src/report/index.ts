export { MAX_RAW_POINTS, plotLosses } from './plot.js';
export type { LossCurve, PlotOptions } from './plot.js';
