// The one typed client for the server: HTTP routes via fetch, live events via a WebSocket
// that reconnects by itself (exponential backoff) and keeps its clientId for the tab.
import { decodePreviewFrame } from './previewFrame.ts';
import type {
  ApiPrompt,
  ClientEvents,
  History,
  ImageRef,
  NodeErrors,
  ObjectInfo,
  PromptResponse,
  QueueState,
  Workflow,
  WorkflowInfo,
} from './types.ts';

type Handler<T> = (data: T) => void;
type SocketCtor = new (url: string) => WebSocket;

export interface ApiClientOptions {
  /** Origin + path prefix of the server, e.g. `http://127.0.0.1:8188`; default: this page's origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  WebSocket?: SocketCtor;
  /** Where the clientId is kept (sessionStorage: one id per tab, kept across reloads). */
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  /** Reconnect delays grow from `minDelay` ×2 up to `maxDelay` (ms). */
  minDelay?: number;
  maxDelay?: number;
}

/** An HTTP error with the server's JSON body (e.g. a 400 from POST /api/prompt). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** Validation errors per node, when the server rejected a prompt. */
  get nodeErrors(): Record<string, NodeErrors> {
    const b = this.body as { node_errors?: Record<string, NodeErrors> } | undefined;
    return b?.node_errors ?? {};
  }
}

const CLIENT_ID_KEY = 'svdiff.clientId';

function newId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID().replace(/-/g, '');
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

export class ApiClient {
  readonly clientId: string;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly Socket: SocketCtor | undefined;
  private readonly handlers = new Map<string, Set<Handler<unknown>>>();
  private socket: WebSocket | undefined;
  private closed = true;
  private attempts = 0;
  private everConnected = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly minDelay: number;
  private readonly maxDelay: number;

  constructor(opts: ApiClientOptions = {}) {
    this.base = (opts.baseUrl ?? (typeof location !== 'undefined' ? location.origin : '')).replace(/\/$/, '');
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.Socket = opts.WebSocket ?? (globalThis.WebSocket as SocketCtor | undefined);
    this.minDelay = opts.minDelay ?? 300;
    this.maxDelay = opts.maxDelay ?? 5000;
    const storage = opts.storage ?? (typeof sessionStorage !== 'undefined' ? sessionStorage : undefined);
    let id = storage?.getItem(CLIENT_ID_KEY) ?? null;
    if (!id) {
      id = newId();
      storage?.setItem(CLIENT_ID_KEY, id);
    }
    this.clientId = id;
  }

  // ---- events -------------------------------------------------------------------------

  on<K extends keyof ClientEvents>(type: K, handler: Handler<ClientEvents[K]>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as Handler<unknown>);
    return () => set.delete(handler as Handler<unknown>);
  }

  emit<K extends keyof ClientEvents>(type: K, data: ClientEvents[K]): void {
    for (const h of this.handlers.get(type) ?? []) {
      try {
        h(data);
      } catch (e) {
        console.error(`handler for ${type} failed`, e);
      }
    }
  }

  // ---- WebSocket ----------------------------------------------------------------------

  get connected(): boolean {
    return this.socket?.readyState === 1;
  }

  wsUrl(): string {
    const http = this.base || (typeof location !== 'undefined' ? location.origin : 'http://localhost');
    return `${http.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(this.clientId)}`;
  }

  connect(): void {
    if (!this.Socket) return;
    this.closed = false;
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = undefined;
  }

  private open(): void {
    const ws = new this.Socket!(this.wsUrl());
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    ws.onopen = () => {
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.attempts = 0;
      this.emit('connected', { reconnect });
    };
    ws.onmessage = (ev: MessageEvent) => this.dispatch(ev.data);
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      this.emit('disconnected', {});
      if (!this.closed) this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows and reconnects */
    };
  }

  /** The delay before reconnect attempt `n` (0-based): minDelay·2ⁿ, capped at maxDelay. */
  reconnectDelay(n: number): number {
    return Math.min(this.maxDelay, this.minDelay * 2 ** n);
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelay(this.attempts++);
    this.timer = setTimeout(() => {
      if (!this.closed) this.open();
    }, delay);
  }

  private dispatch(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      const frame = decodePreviewFrame(data);
      if (frame) this.emit('b_preview', { blob: new Blob([frame.bytes as Uint8Array<ArrayBuffer>], { type: frame.mime }), mime: frame.mime });
      return;
    }
    if (typeof data !== 'string') return;
    let msg: { type?: string; data?: unknown };
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg.type === 'string') this.emit(msg.type as keyof ClientEvents, msg.data as never);
  }

  // ---- HTTP ---------------------------------------------------------------------------

  apiUrl(route: string): string {
    return `${this.base}/api${route}`;
  }

  private async request<T>(route: string, init?: RequestInit): Promise<T> {
    const res = await this.fetchFn(this.apiUrl(route), init);
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const b = body as { error?: { message?: string } | string } | undefined;
      const msg = typeof b?.error === 'string' ? b.error : b?.error?.message ?? (typeof body === 'string' ? body : res.statusText);
      throw new ApiError(`${init?.method ?? 'GET'} /api${route}: ${res.status} ${msg}`, res.status, body);
    }
    return body as T;
  }

  private json<T>(route: string, method: string, body: unknown): Promise<T> {
    return this.request<T>(route, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  getObjectInfo(): Promise<ObjectInfo> {
    return this.request('/object_info');
  }

  /** Queues a prompt; a rejected prompt throws ApiError with `nodeErrors`. */
  queuePrompt(prompt: ApiPrompt, workflow: Workflow, front = false): Promise<PromptResponse> {
    // The canvas shows live previews: ask for them (ComfyUI's per-prompt preview_method).
    const body: Record<string, unknown> = { prompt, client_id: this.clientId, extra_data: { extra_pnginfo: { workflow }, preview_method: 'auto' } };
    if (front) body.front = true;
    return this.json('/prompt', 'POST', body);
  }

  getQueue(): Promise<QueueState> {
    return this.request('/queue');
  }
  deleteQueued(ids: string[]): Promise<unknown> {
    return this.json('/queue', 'POST', { delete: ids });
  }
  clearQueue(): Promise<unknown> {
    return this.json('/queue', 'POST', { clear: true });
  }
  interrupt(): Promise<unknown> {
    return this.request('/interrupt', { method: 'POST' });
  }
  getHistory(maxItems = 64): Promise<History> {
    return this.request(`/history?max_items=${maxItems}`);
  }
  clearHistory(): Promise<unknown> {
    return this.json('/history', 'POST', { clear: true });
  }

  viewUrl(ref: ImageRef): string {
    const q = new URLSearchParams({ filename: ref.filename, type: ref.type, subfolder: ref.subfolder ?? '' });
    return this.apiUrl(`/view?${q}`);
  }

  /** Uploads an image into input/; returns the name to put in a LoadImage combo. */
  async uploadImage(file: Blob, filename: string, overwrite = false): Promise<{ name: string; subfolder: string; type: string }> {
    const form = new FormData();
    form.append('image', file, filename);
    if (overwrite) form.append('overwrite', 'true');
    return this.request('/upload/image', { method: 'POST', body: form });
  }

  async listWorkflows(): Promise<WorkflowInfo[]> {
    return normaliseList(await this.request<unknown>('/workflows'));
  }
  getWorkflow(name: string): Promise<Workflow> {
    return this.request(`/workflows/${encodeURIComponent(name)}`);
  }
  saveWorkflow(name: string, workflow: Workflow): Promise<unknown> {
    return this.json(`/workflows/${encodeURIComponent(name)}`, 'PUT', workflow);
  }
  deleteWorkflow(name: string): Promise<unknown> {
    return this.request(`/workflows/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
  /** Renames a saved workflow's file; refused (409) when `to` exists unless `overwrite`. */
  renameWorkflow(from: string, to: string, overwrite = false): Promise<{ name: string }> {
    return this.json(`/workflows/${encodeURIComponent(from)}/rename`, 'POST', { name: to, overwrite });
  }

  /** Example workflows shipped in the repo; an empty list when the server has none. */
  async listTemplates(): Promise<WorkflowInfo[]> {
    try {
      return normaliseList(await this.request<unknown>('/templates'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [];
      throw e;
    }
  }
  getTemplate(name: string): Promise<Workflow> {
    return this.request(`/templates/${encodeURIComponent(name)}`);
  }

  /** The user's settings (ComfyUI's comfy.settings.json: setting id → value). */
  getSettings(): Promise<Record<string, unknown>> {
    return this.request('/settings');
  }
  /** Merges these setting ids → values into the user's settings. */
  storeSettings(values: Record<string, unknown>): Promise<unknown> {
    return this.json('/settings', 'POST', values);
  }
}

/** Lists may come as names, `{name}` objects, or `{workflows: [...]}`; names lose `.json`. */
function normaliseList(body: unknown): WorkflowInfo[] {
  const raw = Array.isArray(body) ? body : Array.isArray((body as { workflows?: unknown })?.workflows) ? (body as { workflows: unknown[] }).workflows : Array.isArray((body as { templates?: unknown })?.templates) ? (body as { templates: unknown[] }).templates : [];
  const out: WorkflowInfo[] = [];
  for (const item of raw) {
    if (typeof item === 'string') out.push({ name: item.replace(/\.json$/, '') });
    else if (item && typeof (item as WorkflowInfo).name === 'string') {
      const w = item as WorkflowInfo;
      out.push({ ...w, name: w.name.replace(/\.json$/, '') });
    }
  }
  return out;
}
