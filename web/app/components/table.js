// A sortable table; with pageSize it also pages the rows it was given (server-paged lists page
// themselves and pass one page). Cells render through their column's render(), as text by default.
import { html, useEffect, useMemo, useState } from "../lib.js";

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === "") return 1;
  if (b === null || b === undefined || b === "") return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function DataTable({ columns, rows, rowKey, initialSort = null, pageSize = null, empty = "Nothing here yet.", label }) {
  const [sort, setSort] = useState(initialSort);
  const [page, setPage] = useState(0);

  const sorted = useMemo(() => {
    if (!sort) return rows;
    const column = columns.find((candidate) => candidate.key === sort.key);
    if (!column) return rows;
    const value = column.value || ((row) => row[column.key]);
    const direction = sort.direction === "desc" ? -1 : 1;
    return [...rows].sort((a, b) => direction * compare(value(a), value(b)));
  }, [rows, sort, columns]);

  const pages = pageSize ? Math.max(1, Math.ceil(sorted.length / pageSize)) : 1;
  useEffect(() => {
    if (page >= pages) setPage(pages - 1);
  }, [pages]);
  const shown = pageSize ? sorted.slice(page * pageSize, (page + 1) * pageSize) : sorted;

  const toggle = (key) =>
    setSort((current) =>
      current && current.key === key
        ? { key, direction: current.direction === "asc" ? "desc" : "asc" }
        : { key, direction: "asc" },
    );

  return html`
    <div class="table-wrap">
      <table aria-label=${label}>
        <thead>
          <tr>
            ${columns.map((column) => {
              const active = sort && sort.key === column.key;
              const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
              return html`<th key=${column.key} class=${`${column.num ? "num" : ""} ${column.sortable === false ? "nosort" : ""}`} aria-sort=${column.sortable === false ? undefined : ariaSort}>
                ${column.sortable === false
                  ? column.label
                  : html`<button type="button" onClick=${() => toggle(column.key)}>
                      ${column.label}${active ? (sort.direction === "asc" ? " ▲" : " ▼") : ""}
                    </button>`}
              </th>`;
            })}
          </tr>
        </thead>
        <tbody>
          ${shown.length === 0
            ? html`<tr><td colspan=${columns.length} class="muted">${empty}</td></tr>`
            : shown.map(
                (row) => html`<tr key=${rowKey(row)} data-key=${rowKey(row)}>
                  ${columns.map(
                    (column) => html`<td key=${column.key} class=${column.num ? "num" : ""} data-label=${column.label}>
                      <div class="cell">${column.render ? column.render(row) : row[column.key] ?? "—"}</div>
                    </td>`,
                  )}
                </tr>`,
              )}
        </tbody>
      </table>
    </div>
    ${pageSize && sorted.length > pageSize &&
    html`<div class="pager">
      <button type="button" disabled=${page === 0} onClick=${() => setPage(page - 1)}>Previous</button>
      <span>${page * pageSize + 1}–${Math.min((page + 1) * pageSize, sorted.length)} of ${sorted.length}</span>
      <button type="button" disabled=${page >= pages - 1} onClick=${() => setPage(page + 1)}>Next</button>
    </div>`}
  `;
}
