// The WebSocket hub at /ws?clientId=: a `status` message on connect and on every queue
// change, engine events as `{type, data}` JSON to the prompt's client, previews as binary
// frames in ComfyUI's layout (uint32 BE event 1 = preview, uint32 BE image type 2 = PNG, bytes).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EngineEvent } from '../engine/events.ts';
import { refusal, type GuardOptions } from './security.ts';

const PREVIEW_EVENT = 1;
const PNG_IMAGE = 2;
/** Previews are dropped for a client this far behind; JSON events never are. */
const PREVIEW_BACKLOG_BYTES = 8 * 1024 * 1024;
const WS_PATHS = new Set(['/ws', '/api/ws']);
const HEARTBEAT_MS = 30_000;

export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  /** Sockets by client id; a duplicated browser tab shares its id, so there may be several. */
  private readonly clients = new Map<string, Set<WebSocket>>();
  private readonly alive = new WeakSet<WebSocket>();
  /** Sockets whose peer vanished without closing answer no ping: drop them. */
  private readonly heartbeat = setInterval(() => {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS).unref();

  constructor(
    private readonly guardOpts: GuardOptions,
    private readonly queueRemaining: () => number,
    /** The running prompt's latest `executing` event and its client, for sockets that (re)connect mid-prompt. */
    private readonly nowExecuting: () => { event: EngineEvent; clientId: string | undefined } | undefined = () => undefined,
    /** The server's feature flags, the answer to a client's `feature_flags` message. */
    private readonly features: () => Record<string, unknown> = () => ({}),
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    if (!WS_PATHS.has(url.pathname)) return reject(socket, 404, 'Not Found');
    const r = refusal(req, this.guardOpts, true);
    if (r) return reject(socket, r.status, r.status === 401 ? 'Unauthorized' : 'Forbidden');
    const asked = url.searchParams.get('clientId');
    const clientId = asked && asked.length <= 128 ? asked : randomUUID().replace(/-/g, '');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, clientId));
  }

  private connected(ws: WebSocket, clientId: string): void {
    let set = this.clients.get(clientId);
    if (!set) this.clients.set(clientId, (set = new Set()));
    set.add(ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('close', () => {
      const s = this.clients.get(clientId);
      s?.delete(ws);
      if (s?.size === 0) this.clients.delete(clientId);
    });
    ws.on('error', () => ws.terminate());
    // Clients mostly listen; the one message read is ComfyUI's `feature_flags` handshake.
    ws.on('message', (data, isBinary) => {
      if (!isBinary && isFeatureFlags(data.toString())) this.sendJson(ws, { type: 'feature_flags', data: this.features() });
    });
    this.sendJson(ws, { type: 'status', data: { status: { exec_info: { queue_remaining: this.queueRemaining() } }, sid: clientId } });
    // A page reloaded mid-prompt learns which node is running (as ComfyUI does for its own sid).
    const now = this.nowExecuting();
    if (now && (now.clientId === undefined || now.clientId === clientId)) this.sendJson(ws, now.event);
  }

  /** Queue length changed: tell everyone. */
  broadcastStatus(): void {
    const msg = { type: 'status', data: { status: { exec_info: { queue_remaining: this.queueRemaining() } } } };
    for (const ws of this.wss.clients) this.sendJson(ws, msg);
  }

  /**
   * An engine event, to the sockets of the prompt's client. A prompt queued without a client_id
   * has no audience (ComfyUI's rule), except `execution_interrupted`, which ComfyUI broadcasts.
   */
  sendEvent(event: EngineEvent, clientId: string | undefined): void {
    const targets =
      clientId !== undefined ? [...(this.clients.get(clientId) ?? [])] : event.type === 'execution_interrupted' ? [...this.wss.clients] : [];
    if (event.type === 'preview' || event.type === 'image') {
      const png = event.data.png;
      const frame = Buffer.alloc(8 + png.byteLength);
      frame.writeUInt32BE(PREVIEW_EVENT, 0);
      frame.writeUInt32BE(PNG_IMAGE, 4);
      frame.set(png, 8);
      // A preview may be skipped for a slow client; an image a node sends is its output.
      const droppable = event.type === 'preview';
      for (const ws of targets) if (ws.readyState === ws.OPEN && !(droppable && ws.bufferedAmount >= PREVIEW_BACKLOG_BYTES)) ws.send(frame);
      return;
    }
    for (const ws of targets) this.sendJson(ws, event);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private sendJson(ws: WebSocket, msg: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}

function isFeatureFlags(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown } | null)?.type === 'feature_flags';
  } catch {
    return false;
  }
}
