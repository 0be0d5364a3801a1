// Parse a GraphML file as Gephi Lite does and print what a user would see.
// Usage: node parse_graphml.js FILE  ->  JSON {nodes, edges, unlabelled, warnings}
const fs = require("fs");
const { MultiDirectedGraph } = require("graphology");
const graphml = require("graphology-graphml");

const warnings = [];
const origWarn = console.warn;
console.warn = (...args) => warnings.push(args.join(" "));
const text = fs.readFileSync(process.argv[2], "utf8");
const origError = console.error;
console.error = (...args) => warnings.push(args.join(" "));
const graph = graphml.parse(MultiDirectedGraph, text);
console.error = origError;
console.warn = origWarn;
let unlabelled = 0;
const types = {};
graph.forEachNode((key, attrs) => {
  if (!attrs.label) unlabelled += 1;
  types[attrs.type] = (types[attrs.type] || 0) + 1;
});
let colour = 0;
graph.forEachNode((key, attrs) => { if (attrs.color) colour += 1; });
console.log(JSON.stringify({ nodes: graph.order, edges: graph.size, unlabelled, coloured: colour, types, warnings }));
