import { z } from 'zod';

/**
 * Control characters in user text. Postgres text cannot hold NUL at all (an insert or query with one fails
 * outright), and no identifier (store, SKU, lot id) needs any other control character either.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Free text (reasons, notes) may keep tabs and line breaks. */
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const hasControlCharacters = (value: string): boolean => CONTROL.test(value);
export const hasControlCharactersBesidesLines = (value: string): boolean => CONTROL_BUT_LINES.test(value);

/** An identifier typed by a person or sent by a client: trimmed, 1..max characters, no control characters. */
export function identifierText(label: string, max: number) {
  return z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .max(max, `${label} is limited to ${max} characters`)
    .refine((value) => !CONTROL.test(value), `${label} must not contain control characters (such as NUL)`);
}

/** Free text (a reason, a note): trimmed, at most max characters, line breaks and tabs allowed but no other control characters. */
export function freeText(label: string, max: number) {
  return z
    .string({ error: `${label} must be text` })
    .trim()
    .max(max, `${label} is limited to ${max} characters`)
    .refine((value) => !CONTROL_BUT_LINES.test(value), `${label} must not contain control characters (such as NUL)`);
}

/** How deep a JSON body may nest: no request needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;

export type JsonScan = { problem: 'nul'; path: (string | number)[] } | { problem: 'too-deep'; path: (string | number)[] } | null;

/**
 * Finds the first string (or object key) in a parsed JSON value that holds a NUL character (Postgres text
 * cannot store NUL), or the first value nested deeper than MAX_JSON_DEPTH, with its path; null when neither.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export function scanJson(root: unknown): JsonScan {
  interface Node {
    value: unknown;
    key: string | number | null;
    parent: Node | null;
    depth: number;
  }
  const pathOf = (node: Node, extra: (string | number)[] = []) => {
    const path = [...extra];
    for (let at: Node | null = node; at && at.key !== null; at = at.parent) path.unshift(at.key);
    return path;
  };
  const pending: Node[] = [{ value: root, key: null, parent: null, depth: 0 }];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const { value, depth } = node;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { problem: 'nul', path: pathOf(node) };
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH) return { problem: 'too-deep', path: pathOf(node) };
      const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((child, i) => [i, child]) : Object.entries(value);
      for (const [key] of entries) if (typeof key === 'string' && key.includes('\u0000')) return { problem: 'nul', path: pathOf(node, [key]) };
      for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], key: entries[i]![0], parent: node, depth: depth + 1 });
    }
  }
  return null;
}
