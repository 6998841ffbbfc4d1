// Test doubles: a scripted fetch and a controllable WebSocket.
import { vi } from 'vitest';

export interface FetchCall {
  url: string;
  method: string;
  body: unknown;
}

type Route = (call: FetchCall) => { status?: number; body?: unknown } | undefined;

/** A fetch whose answers come from `route`; every call is recorded. */
export function fakeFetch(route: Route) {
  const calls: FetchCall[] = [];
  const fn = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    let body: unknown = init?.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* keep text */
      }
    }
    const call = { url, method: init?.method ?? 'GET', body };
    calls.push(call);
    const r = route(call) ?? { status: 404, body: { error: { message: 'not found' } } };
    const text = r.body === undefined ? '' : JSON.stringify(r.body);
    return new Response(text, { status: r.status ?? 200, headers: { 'Content-Type': 'application/json' } });
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

export class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
    this.onclose?.();
  }
  message(type: string, data: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ type, data }) });
  }
  binary(buf: ArrayBuffer): void {
    this.onmessage?.({ data: buf });
  }
  static last(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }
}

export function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}
