// What training needs of the model's graphs beyond what sampling needs: standard ONNX ops the
// autodiff has rules for (no ORT-optimised fused ops) at an opset it builds on (13 or above).
// Refused here as an input error on `model`, before any graph is built.
import { InputError } from '../../core/index.ts';
import { REEXPORT_HINT, TRAINING_MIN_OPSET, type LoadedModel, type PartName } from '../model/index.ts';

export function checkTrainable(model: LoadedModel, parts: readonly PartName[]): void {
  for (const part of parts) {
    const io = model.io[part];
    if (io.opset !== undefined && io.opset < TRAINING_MIN_OPSET) {
      throw new InputError('model', `${model.name}'s ${part} is at opset ${io.opset}; training needs ${TRAINING_MIN_OPSET} or above: ${REEXPORT_HINT}`);
    }
    if (io.foreignOps.length > 0) {
      throw new InputError('model', `${model.name}'s ${part} has ONNX Runtime-optimised ops (${io.foreignOps.slice(0, 3).join(', ')}${io.foreignOps.length > 3 ? ', …' : ''}) that training cannot differentiate; train on an export made without --optimize (it samples as it is)`);
    }
  }
}
