// The rule table: op type -> gradient rule.
import type { GradRule } from '../rule.ts';
import * as conv from './conv.ts';
import * as elementwise from './elementwise.ts';
import * as matmul from './matmul.ts';
import * as norm from './norm.ts';
import * as resize from './resize.ts';
import * as shape from './shape.ts';

const table: Record<string, GradRule> = {};
for (const mod of [elementwise, matmul, conv, norm, shape, resize] as Record<string, unknown>[]) {
  for (const [name, rule] of Object.entries(mod)) if (/^[A-Z]/.test(name) && typeof rule === 'function') table[name] = rule as GradRule;
}
export const rules: Readonly<Record<string, GradRule>> = table;
export const supportedOps = (): string[] => Object.keys(table).sort();
