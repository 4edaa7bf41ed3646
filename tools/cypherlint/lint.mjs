// Lint Cypher files with Neo4j's parser (@neo4j-cypher/language-support).
// Usage: node lint.mjs FILE... → one JSON document: {file: [{line, column, message}]}.
// Parameters are supplied at run time, so "Parameter $x is not defined" is not a problem.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, isNotParamError } from '@neo4j-cypher/language-support';

const out = {};
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const { diagnostics } = lintCypherQuery(text, {});
  out[file] = diagnostics
    .filter((d) => d.severity === 1 && isNotParamError(d))
    .map((d) => ({ line: d.range.start.line + 1, column: d.range.start.character + 1, message: d.message }));
}
process.stdout.write(JSON.stringify(out));
