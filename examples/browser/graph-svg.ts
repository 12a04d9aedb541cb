/**
 * Draws an expression graph as an SVG tree: the root on top, children left to right in
 * edge order, leaves on consecutive columns and every parent centred over its children.
 * A node reached twice (a shared subexpression of a DAG) is placed once, at its first
 * visit, and its other in-edges point to it.
 */
import { label, type MathGraphJSON } from '../../src/graph/index';

const SVG = 'http://www.w3.org/2000/svg';
const COLUMN = 56;
const ROW = 56;
const RADIUS = 18;

const FILL: Record<string, string> = { int: '#dbeafe', float: '#e0e7ff', symbol: '#dcfce7', op: '#fef3c7', fn: '#fce7f3' };

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  return e;
}

/** The SVG drawing of `graph`; every node is a <g class="node" data-label="…"> for tests and styling. */
export function graphSvg(graph: MathGraphJSON): SVGSVGElement {
  const children = new Map<number, number[]>();
  const hasParent = new Set<number>();
  for (const e of graph.edges) {
    const list = children.get(e.from) ?? [];
    list.push(e.to);
    children.set(e.from, list);
    hasParent.add(e.to);
  }
  const roots = graph.nodes.filter((n) => !hasParent.has(n.id)).map((n) => n.id);
  const position = new Map<number, { x: number; y: number }>();
  let nextColumn = 0;
  // iterative post-order (a 10 000-deep expression must not overflow the stack)
  for (const root of roots) {
    const stack: { id: number; depth: number; expanded: boolean }[] = [{ id: root, depth: 0, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (position.has(top.id)) {
        stack.pop();
        continue;
      }
      const kids = children.get(top.id) ?? [];
      if (!top.expanded && kids.length > 0) {
        top.expanded = true;
        for (let i = kids.length - 1; i >= 0; i--) if (!position.has(kids[i])) stack.push({ id: kids[i], depth: top.depth + 1, expanded: false });
        continue;
      }
      stack.pop();
      const xs = kids.map((k) => position.get(k)?.x).filter((x): x is number => x !== undefined);
      const x = xs.length > 0 ? (Math.min(...xs) + Math.max(...xs)) / 2 : nextColumn++;
      position.set(top.id, { x, y: top.depth });
    }
  }
  const columns = Math.max(1, nextColumn);
  const rows = Math.max(1, ...[...position.values()].map((p) => p.y + 1));
  const width = columns * COLUMN;
  const height = rows * ROW;
  const svg = element('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const at = (id: number) => {
    const p = position.get(id)!;
    return { cx: (p.x + 0.5) * COLUMN, cy: (p.y + 0.5) * ROW };
  };
  for (const e of graph.edges) {
    const a = at(e.from);
    const b = at(e.to);
    svg.append(element('line', { x1: a.cx, y1: a.cy, x2: b.cx, y2: b.cy, stroke: '#64748b', 'stroke-width': 1.5 }));
  }
  for (const node of graph.nodes) {
    const { cx, cy } = at(node.id);
    const text = label(node);
    const g = element('g', { class: 'node', 'data-label': text, 'data-type': node.type });
    g.append(element('circle', { cx, cy, r: RADIUS, fill: FILL[node.type] ?? '#eee', stroke: '#334155', 'stroke-width': 1.2 }));
    const t = element('text', { x: cx, y: cy, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'font-size': text.length > 4 ? 10 : 13, 'font-family': 'ui-monospace, monospace' });
    t.textContent = text.length > 7 ? text.slice(0, 6) + '…' : text;
    const title = element('title', {});
    title.textContent = `${node.type} ${text}`;
    g.append(t, title);
    svg.append(g);
  }
  return svg;
}
