import { EdgeKVError } from '../../runtime/errors.js';

/**
 * The history handed to the checker is malformed (a return before its call, an
 * operation id used twice, a time that is not a number, ...). Thrown rather than
 * reported as a verdict: a broken recording says nothing about the system under test.
 */
export class InvalidHistoryError extends EdgeKVError {
  constructor(message: string) {
    super('INVALID_HISTORY', message);
  }
}

/**
 * A model broke its contract with the checker (a partition lost or duplicated
 * an operation, a pending hint named a completed one); checking on would be unsound.
 */
export class ModelContractError extends EdgeKVError {
  constructor(readonly modelName: string, message: string) {
    super('MODEL_CONTRACT', `model ${modelName}: ${message}`);
  }
}
