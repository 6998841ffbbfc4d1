// Undo/redo by snapshots: after each user action the serialised graph is compared with the
// last state; a difference becomes an undo step. Also tells whether the graph differs from
// the last saved/opened state (the unsaved-changes guard).

export interface Snapshotter<T> {
  take(): T;
  restore(state: T): void;
}

export class ChangeTracker<T> {
  private undoStack: string[] = [];
  private redoStack: string[] = [];
  private current: string;
  private saved: string;
  private restoring = false;

  constructor(
    private readonly graph: Snapshotter<T>,
    private readonly onChange: () => void = () => {},
    private readonly limit = 50,
  ) {
    this.current = this.key();
    this.saved = this.current;
  }

  private key(): string {
    return JSON.stringify(this.graph.take());
  }

  /** Call after anything that may have changed the graph. */
  check(): boolean {
    if (this.restoring) return false;
    const k = this.key();
    if (k === this.current) return false;
    this.undoStack.push(this.current);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
    this.current = k;
    this.onChange();
    return true;
  }

  undo(): boolean {
    return this.move(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.move(this.redoStack, this.undoStack);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** A new document (opened/loaded): history starts over and it counts as saved. */
  reset(asSaved = true): void {
    this.undoStack = [];
    this.redoStack = [];
    this.current = this.key();
    if (asSaved) this.saved = this.current;
    this.onChange();
  }

  markSaved(): void {
    this.current = this.key();
    this.saved = this.current;
    this.onChange();
  }

  get dirty(): boolean {
    return this.current !== this.saved;
  }

  private move(from: string[], to: string[]): boolean {
    const target = from.pop();
    if (target === undefined) return false;
    to.push(this.current);
    this.current = target;
    this.restoring = true;
    try {
      this.graph.restore(JSON.parse(target) as T);
    } finally {
      this.restoring = false;
    }
    this.onChange();
    return true;
  }
}
