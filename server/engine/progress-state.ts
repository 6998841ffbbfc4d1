// ComfyUI's `progress_state` message: the state of every node of the running prompt that has
// started (running, finished or failed) with its last progress value, rebuilt from the engine's
// own events so clients written for ComfyUI's newer frontend can draw per-node progress.
import type { EngineEvent, NodeProgressState } from './events.ts';

export class ProgressStateTracker {
  private readonly nodes: Record<string, NodeProgressState> = {};
  private running: string | undefined;

  constructor(private readonly promptId: string) {}

  /** The progress_state event that `e` leads to, or undefined when `e` changes no node's state. */
  next(e: EngineEvent): EngineEvent | undefined {
    switch (e.type) {
      case 'executing':
        if (this.running !== undefined) this.set(this.running, { state: 'finished' });
        this.running = e.data.node ?? undefined;
        if (this.running !== undefined) this.set(this.running, { state: 'running', value: 0, max: 1 });
        break;
      case 'progress':
        this.set(e.data.node, { state: 'running', value: e.data.value, max: e.data.max });
        break;
      case 'executed':
        this.set(e.data.node, { state: 'finished' });
        break;
      case 'execution_error':
        if (!e.data.node_id) return undefined;
        this.set(e.data.node_id, { state: 'error' });
        break;
      default:
        return undefined;
    }
    return { type: 'progress_state', data: { prompt_id: this.promptId, nodes: { ...this.nodes } } };
  }

  private set(node: string, patch: Partial<NodeProgressState>): void {
    const old = this.nodes[node];
    const s: NodeProgressState = old ?? {
      value: 0,
      max: 1,
      state: 'pending',
      node_id: node,
      prompt_id: this.promptId,
      display_node_id: node,
      parent_node_id: null,
      real_node_id: node,
    };
    this.nodes[node] = { ...s, ...patch };
    if (patch.state === 'finished') this.nodes[node].value = this.nodes[node].max;
  }
}
