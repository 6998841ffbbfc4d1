// The app-wide client instance. Stores reach it through getApi(); tests swap in their own.
import { ApiClient } from './client.ts';

let current: ApiClient | undefined;

export function getApi(): ApiClient {
  return (current ??= new ApiClient());
}

export function setApi(client: ApiClient): void {
  current = client;
}
