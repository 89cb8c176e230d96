/**
 * What an npm user of a `@vcm/*` package sees: its entry points (the
 * `types` conditions of `exports`), the declarations they export and the
 * members those declarations show. The checks read the `.d.ts` files a
 * tarball ships, with the TypeScript compiler API, so they judge the
 * declarations users get rather than the sources.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** One package of `packages/`: its directory and its `package.json`. */
export interface PackageInfo {
  readonly dir: string;
  readonly name: string;
  readonly manifest: Record<string, unknown>;
}

/** Every publishable package (`packages/*`, not private), by directory name. */
export function publishablePackages(root: string): PackageInfo[] {
  const top = join(root, 'packages');
  return readdirSync(top)
    .filter((d) => existsSync(join(top, d, 'package.json')))
    .map((d) => {
      const manifest = JSON.parse(readFileSync(join(top, d, 'package.json'), 'utf8')) as Record<string, unknown>;
      return { dir: join(top, d), name: String(manifest['name']), manifest };
    })
    .filter((p) => p.manifest['private'] !== true)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The `.d.ts` file of every entry point in `exports` (subpath → path relative to the package root). */
export function typeEntries(manifest: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const exportsField = manifest['exports'];
  if (typeof exportsField !== 'object' || exportsField === null) return out;
  for (const [subpath, target] of Object.entries(exportsField as Record<string, unknown>)) {
    if (typeof target === 'object' && target !== null && typeof (target as Record<string, unknown>)['types'] === 'string') {
      out.set(subpath, (target as Record<string, string>)['types']!);
    }
  }
  return out;
}

/** A program over the given declaration files, resolving packages as Node does (NodeNext). */
export function declarationProgram(files: readonly string[]): ts.Program {
  return ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  });
}

/**
 * Diagnostics of the program as `file(line,col): message` lines (an empty
 * list when the declarations are sound), for the files `ours` accepts: a
 * third-party library's own declarations are not ours to judge.
 */
export function declarationErrors(program: ts.Program, ours: (fileName: string) => boolean = () => true): string[] {
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || ours(d.file.fileName));
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}(${line + 1},${character + 1}): ${text}`;
  });
}

/** One name an entry point exports, and whether any of its declarations carries a doc comment. */
export interface ExportDoc {
  readonly name: string;
  readonly kind: string;
  readonly documented: boolean;
  readonly file: string;
}

/** Every name the entry point exports (re-exports followed to the declaration), with its doc state. */
export function exportDocs(program: ts.Program, entry: string): ExportDoc[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return [];
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decls = symbol.declarations ?? [];
    const documented = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '';
    const decl = decls[0];
    return {
      name: exported.name,
      kind: decl === undefined ? 'unknown' : ts.SyntaxKind[decl.kind],
      documented,
      file: decl?.getSourceFile().fileName ?? entry,
    };
  });
}

const MEMBER_KINDS = new Set([
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.MethodSignature,
]);

/** `file:line name` of every member or exported declaration whose name starts with `_` in one `.d.ts` text. */
export function underscoreNames(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const name = (node as { name?: ts.Node }).name;
    const named = name !== undefined && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name));
    const isDecl = MEMBER_KINDS.has(node.kind) || ts.isFunctionDeclaration(node) || ts.isVariableDeclaration(node) || ts.isClassDeclaration(node);
    if (isDecl && named && name.text.startsWith('_')) {
      found.push(`${fileName}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${name.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every file under `dir` whose name ends with `suffix`, recursively. */
export function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

/**
 * The `sources` of a source map that a reader of the tarball cannot open:
 * neither present as files (relative to the map) nor embedded as
 * `sourcesContent`. `exists` answers for a path inside the tarball.
 */
export function unresolvedSources(mapPath: string, mapText: string, exists: (path: string) => boolean): string[] {
  const map = JSON.parse(mapText) as { sources?: unknown; sourceRoot?: unknown; sourcesContent?: unknown };
  const sources = Array.isArray(map.sources) ? (map.sources as unknown[]) : [];
  const contents = Array.isArray(map.sourcesContent) ? (map.sourcesContent as unknown[]) : [];
  const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
  const missing: string[] = [];
  sources.forEach((source, i) => {
    if (typeof contents[i] === 'string') return;
    const target = join(dirname(mapPath), root, String(source));
    if (!exists(target)) missing.push(String(source));
  });
  if (sources.length === 0) missing.push('(no sources at all)');
  return missing;
}
