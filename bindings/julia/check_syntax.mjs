// The syntax of the Julia package's files, checked without Julia (which cannot be installed on
// lavaflow's machines): tree-sitter's Julia grammar (npm: tree-sitter-julia, its prebuilt wasm,
// run by web-tree-sitter) parses each file; any ERROR or MISSING node fails, with its place.
//
//   node check_syntax.mjs NODE_MODULES_DIR FILE.jl...
// (NODE_MODULES_DIR: where `npm ci` put bindings/julia/syntax's packages; ./run test does that.
// Without it the check says SKIP and exits 77.)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [modules, ...files] = process.argv.slice(2);
const grammar = modules && path.resolve(modules, 'tree-sitter-julia', 'tree-sitter-julia.wasm');
if (!grammar || !fs.existsSync(grammar) || files.length === 0) {
  console.log(`SKIP: no tree-sitter-julia in ${modules} (./run test installs it with npm ci from bindings/julia/syntax)`);
  process.exit(77);
}
const require = createRequire(path.join(path.resolve(modules), 'index.js'));  // (resolves from that folder)
const Parser = require('web-tree-sitter');
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Parser.Language.load(grammar));

let errors = 0;
let nodes = 0;
for (const file of files) {
  const tree = parser.parse(fs.readFileSync(file, 'utf8'));
  const pending = [tree.rootNode];
  while (pending.length) {
    const node = pending.pop();
    nodes++;
    if (node.type === 'ERROR' || node.isMissing) {
      errors++;
      const where = `${file}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      console.log(`FAIL: ${where}: ${node.isMissing ? `missing ${node.type}` : 'syntax error'}: ${node.text.slice(0, 80).replace(/\n/g, ' ')}`);
    }
    for (let i = 0; i < node.childCount; i++) pending.push(node.child(i));
  }
}
if (errors) process.exit(1);
console.log(`ok: ${files.length} Julia files parse (${nodes} syntax nodes, tree-sitter-julia)`);
