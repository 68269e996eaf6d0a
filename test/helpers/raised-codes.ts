/**
 * The failure codes src/ can raise, read from its source with TypeScript's parser (a second,
 * simple reading, not the connector's own code): the first argument of every `new
 * ConnectorError(...)`, `configError(...)` and `this.error(...)` call. String literals in that
 * argument count (a conditional names each of its codes); a template such as
 * `PARDOT_HTTP_${status}` counts as `PARDOT_HTTP_<status>`. A first argument with no literal
 * (a code passed through) is listed in `passThrough`, so a new one is noticed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface RaisedCodes {
  codes: Map<string, string[]>; // code -> where (file:line)
  passThrough: string[]; // "file: argument text"
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'generated' ? [] : sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

function isRaiser(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'ConnectorError' || callee.text === 'configError';
  return ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword && callee.name.text === 'error';
}

function literalsIn(node: ts.Node, sf: ts.SourceFile): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) {
    return [node.head.text + node.templateSpans.map((s) => `<${s.expression.getText(sf)}>${s.literal.text}`).join('')];
  }
  const out: string[] = [];
  node.forEachChild((c) => void out.push(...literalsIn(c, sf)));
  return out;
}

export function raisedCodes(srcDir: string): RaisedCodes {
  const codes = new Map<string, string[]>();
  const passThrough: string[] = [];
  const repo = join(srcDir, '..');
  for (const file of sourceFiles(srcDir)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && isRaiser(node.expression) && node.arguments && node.arguments.length > 0) {
        const arg = node.arguments[0]!;
        const found = literalsIn(arg, sf).filter((t) => /^[A-Z][A-Z0-9_<>a-z]*$/.test(t) && /^[A-Z]/.test(t));
        const where = `${relative(repo, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
        if (found.length === 0) passThrough.push(`${relative(repo, file)}: ${arg.getText(sf)}`);
        for (const code of found) codes.set(code, [...(codes.get(code) ?? []), where]);
      }
      node.forEachChild(visit);
    };
    visit(sf);
  }
  return { codes, passThrough };
}
