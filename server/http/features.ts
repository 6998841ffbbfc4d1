// The server's feature flags (ComfyUI's shape): answered at GET /features and to a WebSocket
// client's `feature_flags` message — one definition for both.
export function serverFeatures(uploadLimitBytes: number): Record<string, unknown> {
  // Previews go out as plain PNG frames (no metadata frames); uploads up to the configured limit.
  return { supports_preview_metadata: false, max_upload_size: uploadLimitBytes };
}
