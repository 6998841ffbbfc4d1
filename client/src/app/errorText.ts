// Error texts name their node once. The server labels a message about an input itself
// ("Node #3 (SaveImage): input "images": …"); others get the label put in front here.

/** The label the server and the client put on a message about a node. */
export function nodeLabel(nodeId: string | number, nodeType: string): string {
  return `Node #${nodeId} (${nodeType})`;
}

/** True when `message` already starts with node `nodeId`'s label. */
export function namesNode(message: string, nodeId: string | number): boolean {
  return new RegExp(`^node #${String(nodeId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(message.trimStart());
}

/** `message` about node `nodeId`, labelled with the node exactly once. */
export function withNode(message: string, nodeId: string | number, nodeType: string): string {
  return namesNode(message, nodeId) ? message : `${nodeLabel(nodeId, nodeType)}: ${message}`;
}
