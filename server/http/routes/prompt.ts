// Node definitions, the queue, history and interrupt (ComfyUI's routes and shapes).
import { Router, type Request } from 'express';
import { validatePrompt } from '../../engine/index.ts';
import { toTuple } from '../../engine/queue-store.ts';
import { PromptIdError } from '../../engine/prompt-queue.ts';
import type { AppContext } from '../context.ts';
import { HttpError, errorBody } from '../errors.ts';

/** Largest queue position a client may ask for (2³¹ − 1, far below where +1 stops counting). */
const MAX_NUMBER = 2 ** 31 - 1;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function body(req: Request): Record<string, unknown> {
  return isObject(req.body) ? req.body : {};
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new HttpError(400, 'invalid_request', `${what} must be a list of prompt ids`);
  return v;
}

export function promptRoutes(ctx: AppContext): Router {
  const r = Router();

  r.get('/object_info', async (_req, res) => {
    res.json(await ctx.registry.objectInfo(ctx.env));
  });
  r.get('/object_info/:type', async (req, res) => {
    const all = await ctx.registry.objectInfo(ctx.env);
    const info = Object.hasOwn(all, req.params.type) ? all[req.params.type] : undefined;
    // ComfyUI answers an unknown type with an empty object, and SDKs rely on it.
    res.json(info ? { [req.params.type]: info } : {});
  });

  r.get('/prompt', (_req, res) => {
    res.json({ exec_info: { queue_remaining: ctx.queue.remaining } });
  });

  r.post('/prompt', async (req, res) => {
    const b = body(req);
    if (b.prompt === undefined) {
      res.status(400).json(errorBody('no_prompt', 'No prompt provided', 'the request body needs a "prompt" (API format)', { node_errors: {} }));
      return;
    }
    if (b.client_id !== undefined && typeof b.client_id !== 'string') throw new HttpError(400, 'invalid_request', 'client_id must be a string');
    if (b.extra_data !== undefined && !isObject(b.extra_data)) throw new HttpError(400, 'invalid_request', 'extra_data must be an object');
    if (b.prompt_id !== undefined && typeof b.prompt_id !== 'string') throw new HttpError(400, 'invalid_request', 'prompt_id must be a string');
    if (b.number !== undefined && !(Number.isInteger(b.number) && Math.abs(b.number as number) <= MAX_NUMBER)) {
      // Later prompts number on from the highest seen: 1e308 would have fixed them all there.
      throw new HttpError(400, 'invalid_request', `number must be a whole number between -${MAX_NUMBER} and ${MAX_NUMBER}`);
    }
    const v = await validatePrompt(b.prompt, ctx.registry, ctx.env);
    if (!v.ok) {
      res.status(400).json({ error: v.error, node_errors: v.node_errors });
      return;
    }
    let item;
    try {
      item = await ctx.queue.enqueue({
        prompt: b.prompt as Record<string, never>,
        outputs: v.outputs,
        extraData: b.extra_data as Record<string, unknown> | undefined,
        clientId: b.client_id as string | undefined,
        front: b.front === true,
        number: b.number as number | undefined,
        promptId: b.prompt_id as string | undefined,
        startAfter: new Promise((sent) => {
          res.once('finish', sent);
          res.once('close', sent);
        }),
      });
    } catch (e) {
      if (e instanceof PromptIdError) throw new HttpError(400, 'invalid_prompt_id', e.message);
      throw e;
    }
    res.json({ prompt_id: item.promptId, number: item.number, node_errors: v.node_errors });
  });

  r.get('/queue', (_req, res) => {
    const running = ctx.queue.runningItem;
    res.json({ queue_running: running ? [toTuple(running)] : [], queue_pending: ctx.queue.pendingItems.map(toTuple) });
  });

  r.post('/queue', async (req, res) => {
    const b = body(req);
    if (b.clear === true) await ctx.queue.clear();
    if (b.delete !== undefined) await ctx.queue.delete(stringList(b.delete, 'delete'));
    res.json({ queue_remaining: ctx.queue.remaining });
  });

  r.get('/history', (req, res) => {
    const max = req.query.max_items === undefined ? undefined : Number(req.query.max_items);
    const offset = req.query.offset === undefined ? undefined : Number(req.query.offset);
    if (max !== undefined && (!Number.isInteger(max) || max < 0)) throw new HttpError(400, 'invalid_request', 'max_items must be a whole number ≥ 0');
    if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new HttpError(400, 'invalid_request', 'offset must be a whole number ≥ 0');
    res.json(ctx.queue.history.list(max, offset));
  });
  r.get('/history/:id', (req, res) => {
    const entry = ctx.queue.history.get(req.params.id);
    res.json(entry ? { [req.params.id]: entry } : {});
  });
  r.post('/history', async (req, res) => {
    const b = body(req);
    if (b.clear === true) await ctx.queue.history.clear();
    if (b.delete !== undefined) await ctx.queue.history.delete(stringList(b.delete, 'delete'));
    res.json({});
  });

  r.post('/interrupt', (req, res) => {
    const b = body(req);
    if (b.prompt_id !== undefined && typeof b.prompt_id !== 'string') throw new HttpError(400, 'invalid_request', 'prompt_id must be a string');
    const interrupted = ctx.interrupt(b.prompt_id as string | undefined);
    res.json({ interrupted });
  });

  return r;
}
