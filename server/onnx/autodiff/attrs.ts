// Reading node attributes with defaults.
import { AttributeType, type NodeProto } from '../proto.ts';

export function attr(node: NodeProto, name: string) {
  return (node.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(node: NodeProto, name: string, def: number): number {
  const a = attr(node, name);
  return a?.i ?? def;
}
export function attrFloat(node: NodeProto, name: string, def: number): number {
  const a = attr(node, name);
  return a?.f ?? def;
}
export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && (a.type === AttributeType.INTS || a.ints?.length) ? [...(a.ints ?? [])] : undefined;
}
export function attrString(node: NodeProto, name: string, def: string): string {
  const a = attr(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : def;
}
