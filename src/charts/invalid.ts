// The one error every check of a chart package raises: chart-invalid, saying what is wrong.
import { AppError } from '../errors.js';

export function chartInvalid(message: string): AppError {
  return new AppError('chart-invalid', message);
}
