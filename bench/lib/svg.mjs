/**
 * Renders the results as a plain SVG horizontal bar chart (no dependencies):
 * one panel per section with its own req/s scale, bars coloured by server
 * kind, a min–max whisker over the rounds, and the median printed at the end.
 */

const COLORS = { tricorn: "#e8590c", native: "#1971c2", peer: "#868e96" };
const WIDTH = 980;
const LABEL_W = 360;
const BAR_W = 470;
const ROW_H = 22;
const SECTION_GAP = 36;

/** Escapes text for SVG content and attributes. */
function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 45210 → "45.2k". */
export function shortNumber(n) {
  if (n == null) return "—";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/**
 * @param {{title:string, rows:{label:string, kind:string, rps:number|null, min:number|null, max:number|null, note?:string}[]}[]} sections
 * @param {string} subtitle  one line under the title (date, machine, method)
 * @returns {string} the SVG document
 */
export function renderChart(sections, subtitle) {
  const parts = [];
  let y = 90;
  for (const section of sections) {
    const max = Math.max(1, ...section.rows.map((r) => r.max ?? r.rps ?? 0));
    parts.push(`<text x="12" y="${y}" class="section">${esc(section.title)}</text>`);
    y += 10;
    for (const row of section.rows) {
      const cy = y + ROW_H / 2;
      parts.push(`<text x="${LABEL_W - 8}" y="${cy + 4}" class="label" text-anchor="end">${esc(row.label)}</text>`);
      if (row.rps == null) {
        parts.push(`<text x="${LABEL_W + 4}" y="${cy + 4}" class="note">${esc(row.note ?? "no result")}</text>`);
      } else {
        const w = Math.max(1, (row.rps / max) * BAR_W);
        parts.push(
          `<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${COLORS[row.kind] ?? COLORS.peer}"><title>${esc(`${row.label}: ${Math.round(row.rps)} req/s`)}</title></rect>`,
        );
        if (row.min != null && row.max != null && row.max > row.min) {
          const x1 = LABEL_W + (row.min / max) * BAR_W;
          const x2 = LABEL_W + (row.max / max) * BAR_W;
          parts.push(`<line x1="${x1.toFixed(1)}" y1="${cy}" x2="${x2.toFixed(1)}" y2="${cy}" class="whisker"/>`);
          parts.push(`<line x1="${x1.toFixed(1)}" y1="${cy - 4}" x2="${x1.toFixed(1)}" y2="${cy + 4}" class="whisker"/>`);
          parts.push(`<line x1="${x2.toFixed(1)}" y1="${cy - 4}" x2="${x2.toFixed(1)}" y2="${cy + 4}" class="whisker"/>`);
        }
        const textX = LABEL_W + Math.max(w, row.max != null ? (row.max / max) * BAR_W : 0) + 6;
        parts.push(`<text x="${textX.toFixed(1)}" y="${cy + 4}" class="value">${esc(shortNumber(row.rps))}${row.note ? ` ${esc(row.note)}` : ""}</text>`);
      }
      y += ROW_H;
    }
    y += SECTION_GAP;
  }
  const height = y;
  let legendX = 12;
  const legend = Object.entries(COLORS)
    .map(([kind, color]) => {
      const name = { tricorn: "tricorn", native: "runtime's own server", peer: "other server" }[kind];
      const x = legendX;
      legendX += 18 + name.length * 7 + 24; // ~7 px per character at 12 px
      return `<rect x="${x}" y="46" width="12" height="12" fill="${color}"/><text x="${x + 18}" y="56" class="label">${esc(name)}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .title { font-size: 18px; font-weight: 600; fill: #212529; }
  .sub { font-size: 12px; fill: #495057; }
  .section { font-size: 14px; font-weight: 600; fill: #212529; }
  .label { font-size: 12px; fill: #343a40; }
  .value { font-size: 12px; fill: #212529; }
  .note { font-size: 12px; fill: #868e96; font-style: italic; }
  .whisker { stroke: #212529; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="22" class="title">tricorn benchmarks — requests/second (median of rounds; whisker = min–max)</text>
<text x="12" y="38" class="sub">${esc(subtitle)}</text>
${legend}
${parts.join("\n")}
</svg>
`;
}
