// A training node's step reports: progress with the loss every step, a log line at most every
// 10 s (and at the last step) in the node's own words.
import type { NodeContext } from '../define.ts';
import type { StepReport } from '../../server/diffusion/training/index.ts';

export function stepReporter(ctx: NodeContext, line: (r: StepReport) => string): (r: StepReport) => void {
  let last = 0;
  return (r) => {
    ctx.progress(r.step, r.steps, { loss: r.loss });
    const now = Date.now();
    if (now - last > 10_000 || r.step === r.steps) {
      last = now;
      ctx.log(line(r));
    }
  };
}
