// Worker-thread entry for image-convert.ts. A worker thread starts without the tsx loader the
// server's TypeScript runs under, so this registers it (for this thread) and runs the job,
// which reuses server/image's codecs and resizing rather than copies of them.
import { register } from 'tsx/esm/api';

register();
await import('./image-convert.job.ts');
