import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { RepoPath, Violation } from './violation.js';

/** A function-like node's extent: where it starts and how many lines it spans. */
export interface FunctionSpan {
  name: string;
  line: number;
  lines: number;
}

/** Every function, method, accessor, constructor, arrow function and function expression in a file. */
export function functionSpans(fileName: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ name: nameOf(node), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

export function functionLengthViolations(root: string, files: readonly RepoPath[], maxLines: number): Violation[] {
  return files.flatMap((file) =>
    functionSpans(file, readFileSync(join(root, file), 'utf8'))
      .filter((span) => span.lines > maxLines)
      .map((span) => ({
        kind: 'function-length' as const,
        message: `function length: ${file}:${span.line} ${span.name} spans ${span.lines} lines (limit ${maxLines})`,
      })),
  );
}

/** The name a reader would search for: the declared name, or what an anonymous function is bound to. */
function nameOf(node: ts.SignatureDeclaration): string {
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (node.name) return `${owner}${node.name.getText()}`;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.initializer === node) {
    const ownerOfProperty = ts.isPropertyDeclaration(parent) && ts.isClassLike(parent.parent) && parent.parent.name ? `${parent.parent.name.text}.` : '';
    return `${ownerOfProperty}${parent.name.getText()}`;
  }
  const kind = ts.isArrowFunction(node) ? 'arrow function' : 'function expression';
  const enclosing = enclosingName(parent);
  return enclosing ? `(${kind} in ${enclosing})` : `(${kind})`;
}

function enclosingName(node: ts.Node | undefined): string | undefined {
  for (let at = node; at; at = at.parent) {
    if (ts.isFunctionLike(at) && 'body' in at) return nameOf(at);
  }
  return undefined;
}
