import type { DepartmentNodeDto } from '../../../../shared/mailboxes/group-admin';

export interface DeptTreeNode {
  key: string;
  title: string;
  value: string;
  node: DepartmentNodeDto;
  children?: DeptTreeNode[];
}

/**
 * Builds the tree (any depth) from the flat list in one pass; orphans (a parent not listed) become
 * roots. Sibling order is the server's (directory order, then name).
 */
export function buildDepartmentTree(list: DepartmentNodeDto[]): DeptTreeNode[] {
  const byId = new Map<string, DeptTreeNode>();
  for (const d of list) byId.set(d.id, { key: d.id, value: d.id, title: d.name, node: d });
  const roots: DeptTreeNode[] = [];
  for (const d of list) {
    const me = byId.get(d.id)!;
    const parent = d.parentId ? byId.get(d.parentId) : undefined;
    if (parent && parent !== me) (parent.children ??= []).push(me);
    else roots.push(me);
  }
  return roots;
}

/** The department ids from the root down to `id` (for expanding the tree to a match). */
export function ancestorsOf(list: DepartmentNodeDto[], id: string): string[] {
  const byId = new Map(list.map((d) => [d.id, d]));
  const out: string[] = [];
  let cur = byId.get(id);
  const seen = new Set<string>();
  while (cur?.parentId && !seen.has(cur.parentId)) {
    seen.add(cur.parentId);
    out.unshift(cur.parentId);
    cur = byId.get(cur.parentId);
  }
  return out;
}
