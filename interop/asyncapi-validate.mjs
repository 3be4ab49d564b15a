// Parses an AsyncAPI document with the real @asyncapi/parser and prints what it said as one
// JSON object: {"valid": bool, "errors": n, "diagnostics": [{severity, code, message, path}]}.
// `valid` is true when a document came out and no diagnostic is an error (severity 0).
// Usage: node asyncapi-validate.mjs FILE
import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';

const SEVERITY = ['error', 'warning', 'information', 'hint'];

const file = process.argv[2];
if (!file) {
  console.error('usage: node asyncapi-validate.mjs FILE');
  process.exit(2);
}
const text = await readFile(file, 'utf8');
const { document, diagnostics } = await new Parser().parse(text);
const listed = diagnostics.map((d) => ({
  severity: SEVERITY[d.severity] ?? String(d.severity),
  code: String(d.code),
  message: d.message,
  path: d.path.join('.'),
}));
const errors = listed.filter((d) => d.severity === 'error').length;
console.log(JSON.stringify({ valid: document !== undefined && errors === 0, errors, diagnostics: listed }));
