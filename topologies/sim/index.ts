export { notEmulated, runSimulated, type SimRunOptions } from './run-simulated.js';
